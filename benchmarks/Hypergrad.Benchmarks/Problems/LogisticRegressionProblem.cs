using Hypergrad.Parameters;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn.functional;

namespace Hypergrad.Benchmarks.Problems;

/// <summary>
/// Softmax regression (a Linear layer) with one learnable weight decay per feature, exp(LogDecay):
/// g = CE(train) + ½ Σ_j exp(LogDecay_j)·‖W[:, j]‖², F = CE(validation). The inner variables are
/// trained close to the inner optimum before anything is measured.
/// </summary>
sealed class LogisticRegressionProblem : BenchmarkProblem
{
    readonly Tensor xTrain, yTrain, xValid, yValid;

    // featureDecay: feature j is scaled by (j + 1)^(−featureDecay); 0 keeps them alike, larger values make H's spectrum decay fast.
    // logDecay: the initial log weight decay (the floor of H's spectrum is about exp(logDecay)).
    public LogisticRegressionProblem(int features, int classes, int samples, int seed, double featureDecay = 0, double logDecay = -3)
    {
        var generator = new Generator((ulong)seed);
        var truth = randn(features, classes, dtype: float64, generator: generator);
        Tensor Labels(Tensor x) => (x.mm(truth) + 2 * randn(x.shape[0], classes, dtype: float64, generator: generator)).argmax(1);
        var scale = arange(1, features + 1, dtype: float64).pow(-featureDecay);
        xTrain = randn(samples, features, dtype: float64, generator: generator) * scale;
        yTrain = Labels(xTrain);
        xValid = randn(samples, features, dtype: float64, generator: generator) * scale;
        yValid = Labels(xValid);

        manual_seed(seed);
        Model = nn.Linear(features, classes, dtype: float64);
        LogDecay = new Parameter(full(features, logDecay, dtype: float64));
        Inner = new ParameterSet(("Model", Model));
        Outer = new ParameterSet(("LogDecay", LogDecay));
        TrainInner(steps: 300);
    }

    public Linear Model { get; }
    public Parameter LogDecay { get; }
    public override ParameterSet Inner { get; }
    public override ParameterSet Outer { get; }
    public override string Description => $"softmax regression, {Inner.Size} inner values ({string.Join(", ", Inner.Names)})";

    public override Tensor TrainLoss() =>
        cross_entropy(Model.call(xTrain), yTrain) + 0.5 * (Model.weight.pow(2) * LogDecay.exp()).sum();

    public override Tensor ValidationLoss() => cross_entropy(Model.call(xValid), yValid);

    void TrainInner(int steps)
    {
        var optimizer = optim.LBFGS(Model.parameters(), lr: 1, max_iter: steps);
        optimizer.step(() =>
        {
            optimizer.zero_grad();
            var loss = TrainLoss();
            loss.backward();
            return loss;
        });
    }
}
