using Hypergrad.Optimizers;
using Hypergrad.Parameters;
using Hypergrad.Unrolled;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Hypergrad.Tests.Unrolled;

/// <summary>Unrolling a user's own TorchSharp module (Conv2d, BatchNorm2d, Linear in a Sequential), float64.</summary>
public class ModuleUnrollTests
{
    const int Steps = 3;
    const double LearningRate = 0.2;

    // The parameters come from a local generator, not torch's global one: test classes run in parallel and draw from
    // the global generator between another test's manual_seed and its module construction.
    static Sequential Model(int seed)
    {
        var model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.ReLU(), nn.Flatten(), nn.Linear(8, 1)).to(float64);
        var generator = new Generator((ulong)seed);
        using (no_grad())
            foreach (var p in model.parameters()) p.copy_(randn(p.shape, float64, generator: generator) * 0.5);
        return model;
    }

    readonly Tensor X = randn(6, 1, 4, 4, float64, generator: new Generator(5));
    readonly Tensor Y = randn(6, 1, float64, generator: new Generator(6));
    readonly Tensor XValidation = randn(6, 1, 4, 4, float64, generator: new Generator(7));
    readonly Tensor YValidation = randn(6, 1, float64, generator: new Generator(8));

    // g = mse + ½·e^{LogDecay}·Σ‖p‖², F = validation mse.
    Tensor InnerLoss(Sequential model, Tensor logDecay) =>
        F.mse_loss(model.call(X), Y) + 0.5 * logDecay.exp() * model.parameters().Select(p => p.pow(2).sum()).Aggregate((a, b) => a + b);
    Tensor OuterLoss(Sequential model) => F.mse_loss(model.call(XValidation), YValidation);

    [Fact]
    public void Hypergradient_through_the_modules_own_forward_matches_a_central_difference_with_torch_optim()
    {
        var model = Model(1);
        var logDecay = tensor(-1.0, float64, requires_grad: true);
        var problem = new UnrolledProblem(new ParameterSet(("Model", model)), new ParameterSet(("LogDecay", logDecay)),
            () => InnerLoss(model, logDecay), () => OuterLoss(model), new DifferentiableSgd(LearningRate));
        var result = UnrolledHypergradient.Compute(problem, Method.ReverseUnroll, new UnrolledOptions { UnrollSteps = Steps });

        // Independent: fresh copies of the model trained by torch.optim.SGD (in place, no substitution).
        double Validation(double decay)
        {
            var copy = Model(1);
            var sgd = optim.SGD(copy.parameters(), LearningRate);
            for (int t = 0; t < Steps; t++) { sgd.zero_grad(); InnerLoss(copy, tensor(decay, float64)).backward(); sgd.step(); }
            using var _ = no_grad();
            return OuterLoss(copy).item<double>();
        }
        double numeric = (Validation(-1.0 + 1e-6) - Validation(-1.0 - 1e-6)) / 2e-6;
        Assert.True(Math.Abs(numeric) > 1e-6, $"the decay barely matters ({numeric})");
        Assert.Equal(numeric, result["LogDecay"].item<double>(), 7);
    }

    [Fact]
    public void The_users_module_is_left_unchanged_and_torch_optim_still_works_on_it()
    {
        var model = Model(2);
        var parameters = model.parameters().ToArray();
        var values = parameters.Select(p => p.detach().clone()).ToArray();
        var logDecay = tensor(-1.0, float64, requires_grad: true);
        var problem = new UnrolledProblem(new ParameterSet(("Model", model)), new ParameterSet(("LogDecay", logDecay)),
            () => InnerLoss(model, logDecay), () => OuterLoss(model), new DifferentiableSgd(LearningRate));
        foreach (var method in new[] { Method.ReverseUnroll, Method.ReverseRecompute, Method.FiniteDifference })
            UnrolledHypergradient.Compute(problem, method, new UnrolledOptions { UnrollSteps = Steps });

        var after = model.parameters().ToArray();
        Assert.Equal(parameters.Length, after.Length);
        for (int i = 0; i < parameters.Length; i++)
        {
            Assert.Same(parameters[i], after[i]);
            Assert.True(after[i].is_leaf && after[i].requires_grad);
            Assert.True(after[i].detach().allclose(values[i], rtol: 0, atol: 0), $"parameter {i} changed");
        }

        // A built-in optimizer still updates the very same objects: p ← p − lr·∇p.
        var sgd = optim.SGD(model.parameters(), 0.1);
        sgd.zero_grad();
        OuterLoss(model).backward();
        var expected = after.Select(p => (p.detach() - 0.1 * p.grad!).clone()).ToArray();
        sgd.step();
        for (int i = 0; i < after.Length; i++)
            Assert.True(after[i].detach().allclose(expected[i]), $"torch.optim step on parameter {i}");
        Assert.False(after[0].detach().allclose(values[0], rtol: 0, atol: 0));
    }

    [Fact]
    public void CopyFinalIterate_moves_the_inner_variables_to_the_last_iterate()
    {
        var q = new Quadratic();
        UnrolledHypergradient.Compute(q.Problem(new DifferentiableSgd(0.5)), Method.ReverseUnroll, new UnrolledOptions { UnrollSteps = 7, CopyFinalIterate = true });
        var expected = new Quadratic().Iterates(0.5, 7)[^1];
        Quadratic.AssertClose(expected, q.W, 1e-12, "w after CopyFinalIterate");
    }

    [Fact]
    public void A_module_with_native_only_weights_is_refused_by_type()
    {
        var model = nn.Sequential(("embed", nn.Embedding(10, 3)), ("head", nn.Linear(3, 1)));
        var ex = Assert.Throws<HypergradException>(() => new ParameterSet(("Model", model)));
        Assert.Contains("Embedding", ex.Message);
        Assert.Contains("Model.embed", ex.Message);
    }
}
