using System.Linq;
using Hypergrad.Parameters;
using TorchSharp;
using static TorchSharp.torch;

namespace Hypergrad.Benchmarks.Problems;

/// <summary>
/// <see cref="MlpDecayTuning"/> (an MLP with a learnable weight decay per layer) on fixed data: inputs are Gaussian,
/// labels come from a random teacher MLP of the same shape plus noise. The inner variables are trained close to a
/// minimum (L-BFGS) before anything is measured. <c>logDecay</c>: every layer's initial log weight decay (the floor of H's spectrum).
/// </summary>
sealed class MlpProblem : BenchmarkProblem
{
    public MlpProblem(int inputs, int width, int layers, int classes, int samples, int seed, double logDecay = -3)
    {
        var generator = new Generator((ulong)seed + 1000);
        var teacher = new MlpDecayTuning(inputs, width, layers, classes, seed + 1000);
        (Tensor, Tensor) Data()
        {
            var x = randn(samples, inputs, dtype: float64, generator: generator);
            using var noGrad = no_grad();
            var logits = teacher.Model.call(x);
            return (x, (logits / logits.std() + 0.5 * randn(logits.shape, dtype: float64, generator: generator)).argmax(1));
        }
        Train = Data();
        Validation = Data();
        Tuning = new MlpDecayTuning(inputs, width, layers, classes, seed, logDecay);
        Inner = new ParameterSet(("Model", Tuning.Model));
        Outer = new ParameterSet(("LogDecay", Tuning.LogDecay));
        Shape = $"{inputs}-{string.Join("-", Enumerable.Repeat(width, layers - 1))}-{classes}";
        TrainInner(steps: 500);
    }

    public MlpDecayTuning Tuning { get; }
    public (Tensor X, Tensor Y) Train { get; }
    public (Tensor X, Tensor Y) Validation { get; }
    public string Shape { get; }
    public override ParameterSet Inner { get; }
    public override ParameterSet Outer { get; }
    public override string Description => $"MLP {Shape} (tanh), {Inner.Count} parameter tensors, {Inner.Size} inner values";

    public override Tensor TrainLoss() => Tuning.TrainLoss(Train.X, Train.Y);

    public override Tensor ValidationLoss() => Tuning.ValidationLoss(Validation.X, Validation.Y);

    void TrainInner(int steps)
    {
        var optimizer = optim.LBFGS(Tuning.Model.parameters(), lr: 1, max_iter: steps, history_size: 20);
        optimizer.step(() =>
        {
            optimizer.zero_grad();
            var loss = TrainLoss();
            loss.backward();
            return loss;
        });
        optimizer.zero_grad();
    }
}
