using Hypergrad.Implicit;
using Hypergrad.Optimizers;
using Hypergrad.Parameters;
using Hypergrad.Unrolled;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Hypergrad.Tests.Unrolled;

/// <summary>Compositions that end in an implicit solve, float64.</summary>
public class ImplicitCompositionTests
{
    [Fact]
    public void InitializationUnroll_then_ConjugateGradient_is_the_iMAML_meta_gradient()
    {
        // iMAML: g(w, θ) = ½wᵀAw − bᵀw + (γ/2)‖w − θ‖², inner steps start at θ; F = ½‖w − w_target‖².
        // At the final iterate: dF/dθ = γ (A + γI)⁻¹ ∇_wF(w_T).
        const double gamma = 2.0;
        var generator = new Generator(21);
        var r = randn(6, 6, float64, generator: generator);
        var a = r.t().matmul(r) / 6 + 0.1 * eye(6, dtype: float64);
        var b = randn(6, float64, generator: generator);
        var target = randn(6, float64, generator: generator);
        var theta = randn(6, float64, generator: generator).requires_grad_(true);
        var w = theta.detach().clone().requires_grad_(true);      // the inner loop starts at the meta-initialization
        var problem = new UnrolledProblem(new ParameterSet(("w", w)), new ParameterSet(("theta", theta)),
            () => 0.5 * w.dot(a.mv(w)) - b.dot(w) + 0.5 * gamma * (w - theta).pow(2).sum(),
            () => 0.5 * (w - target).pow(2).sum(), new DifferentiableSgd(0.2));
        var result = UnrolledHypergradient.Compose(problem, [Operation.InitializationUnroll, Operation.ConjugateGradient],
            new UnrolledOptions { InnerSteps = 10, ImplicitSolver = new ConjugateGradient { Iterations = 20, Tolerance = 1e-12 } });

        using var _ = no_grad();
        var wT = theta.detach().clone();
        for (int t = 0; t < 10; t++) wT = wT - 0.2 * (a.mv(wT) - b + gamma * (wT - theta));
        var expected = gamma * linalg.solve(a + gamma * eye(6, dtype: float64), wT - target);
        Quadratic.AssertClose(expected, result["theta"], 1e-9, "IAD + CG (iMAML)");
        Assert.Equal(Method.ConjugateGradient, result.Method);
        // The solve converged; after 10 inner steps w_T is not stationary, and the certificate says so (and only that).
        Assert.True(result.RelativeResidual <= 1e-12);
        Assert.False(result.Converged, result.ToString());
        Assert.Equal(["theta"], result.Gradients.Select(g => g.Name));
        Assert.Contains("not stationary", Assert.Single(result.Warnings));
    }

    [Fact]
    public void DynamicInitialization_with_FiniteDifference_returns_the_initialization_gradient_too()
    {
        var q = new Quadratic(w0: linspace(-1, 1, Quadratic.D, dtype: float64));
        var options = new UnrolledOptions { InnerSteps = 4 };
        var result = UnrolledHypergradient.Compose(q.Problem(new DifferentiableSgd(0.2)), [Operation.DynamicInitialization, Operation.FiniteDifference], options);
        var fd = UnrolledHypergradient.Compute(q.Problem(new DifferentiableSgd(0.2)), Method.FiniteDifference, options);
        var maml = UnrolledHypergradient.Compose(q.Problem(new DifferentiableSgd(0.2), withOuter: false), [Operation.InitializationUnroll], options);
        Quadratic.AssertClose(fd["lambda"], result["lambda"], 1e-12, "DI + FD, outer");
        Quadratic.AssertClose(maml["w"], result["w"], 1e-12, "DI + FD, initialization");
    }
}
