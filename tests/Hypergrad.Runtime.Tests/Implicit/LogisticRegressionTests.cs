using Hypergrad.Implicit;
using Hypergrad.Parameters;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;
using static TorchSharp.torch.nn.functional;

namespace Hypergrad.Tests.Implicit;

/// <summary>
/// A nonlinear problem checked by finite differences: logistic regression (a Linear module) with one
/// weight decay per feature, exp(LogDecay), tuned on a validation loss.
/// </summary>
public class LogisticRegressionTests
{
    const int Features = 5, Samples = 60;
    readonly Tensor xTrain, yTrain, xValid, yValid;

    public LogisticRegressionTests()
    {
        var generator = new Generator(11);
        var truth = randn(Features, dtype: float64, generator: generator);
        xTrain = randn(Samples, Features, dtype: float64, generator: generator);
        yTrain = (xTrain.mv(truth) + randn(Samples, dtype: float64, generator: generator) > 0).to(float64);
        xValid = randn(Samples, Features, dtype: float64, generator: generator);
        yValid = (xValid.mv(truth) + randn(Samples, dtype: float64, generator: generator) > 0).to(float64);
    }

    Tensor TrainLoss(Linear model, Tensor logDecay) =>
        binary_cross_entropy_with_logits(model.call(xTrain.to(model.weight.dtype)).squeeze(-1), yTrain.to(model.weight.dtype))
        + 0.5 * (model.weight.pow(2).squeeze(0) * logDecay.exp()).sum();

    Tensor ValidationLoss(Linear model) =>
        binary_cross_entropy_with_logits(model.call(xValid.to(model.weight.dtype)).squeeze(-1), yValid.to(model.weight.dtype));

    HypergradientResult Hypergradient(Tensor decay, ScalarType dtype, ImplicitSolver solver)
    {
        var model = nn.Linear(Features, 1, hasBias: false, dtype: dtype);
        using (no_grad()) model.weight!.copy_(SolveInner(decay).unsqueeze(0));
        var logDecay = new Parameter(decay.detach().to(dtype).clone());
        var engine = new ImplicitHypergradient(new ParameterSet(("Model", model)), new ParameterSet(("LogDecay", logDecay)), solver);
        return engine.Compute(() => TrainLoss(model, logDecay), () => ValidationLoss(model));
    }

    // Newton's method on the strictly convex inner problem: converged to machine precision.
    Tensor SolveInner(Tensor logDecay)
    {
        var w = zeros(Features, dtype: float64);
        for (int i = 0; i < 30; i++)
        {
            var p = torch.sigmoid(xTrain.mv(w));
            var gradient = xTrain.T.mv(p - yTrain) / Samples + logDecay.exp() * w;
            var hessian = xTrain.T.mm(xTrain * (p * (1 - p)).unsqueeze(1)) / Samples + diag(logDecay.exp());
            w = w - linalg.solve(hessian, gradient);
        }
        return w;
    }

    double ValidationAt(Tensor logDecay)
    {
        var w = SolveInner(logDecay);
        return binary_cross_entropy_with_logits(xValid.mv(w), yValid).ToDouble();
    }

    [Theory]
    [InlineData(Method.ConjugateGradient)]
    [InlineData(Method.Exact)]
    public void Hypergradient_matches_central_finite_differences(Method method)
    {
        var decay = tensor(new[] { -1.0, 0.5, -2.0, 0.0, -0.5 }, dtype: float64);
        var model = nn.Linear(Features, 1, hasBias: false, dtype: float64);
        using (no_grad()) model.weight!.copy_(SolveInner(decay).unsqueeze(0));
        var logDecay = new Parameter(decay.clone());
        var solver = method == Method.Exact ? (ImplicitSolver)new Exact() : new ConjugateGradient { Iterations = 50, Tolerance = 1e-12 };
        var engine = new ImplicitHypergradient(new ParameterSet(("Model", model)), new ParameterSet(("LogDecay", logDecay)), solver);
        using var result = engine.Compute(() => TrainLoss(model, logDecay), () => ValidationLoss(model), accumulateGrad: true);

        const double eps = 1e-5;
        var hypergradient = result["LogDecay"].data<double>().ToArray();
        for (int j = 0; j < Features; j++)
        {
            var step = zeros(Features, dtype: float64);
            step[j] = eps;
            double finiteDifference = (ValidationAt(decay + step) - ValidationAt(decay - step)) / (2 * eps);
            Assert.True(Math.Abs(hypergradient[j] - finiteDifference) <= 1e-6 * Math.Abs(finiteDifference) + 1e-10,
                $"feature {j}: {hypergradient[j]} vs finite difference {finiteDifference}");
        }
        Assert.Equal(hypergradient, logDecay.grad!.data<double>().ToArray());
        Assert.Equal(decay.data<double>().ToArray(), logDecay.data<double>().ToArray());
    }

    [Fact]
    public void Float32_agrees_with_float64_to_float32_accuracy()
    {
        var decay = tensor(new[] { -1.0, 0.5, -2.0, 0.0, -0.5 }, dtype: float64);
        using var reference = Hypergradient(decay, float64, new Exact());
        using var single = Hypergradient(decay, float32, new ConjugateGradient { Iterations = 50, Tolerance = 1e-5 });
        Assert.Equal(ScalarType.Float32, single["LogDecay"].dtype);
        Assert.True(single.Converged, single.ToString());
        var error = (single["LogDecay"].to(float64) - reference["LogDecay"]).norm().ToDouble() / reference["LogDecay"].norm().ToDouble();
        Assert.True(error < 1e-4, $"relative error {error}");
    }
}
