using Hypergrad.Optimizers;
using Hypergrad.Parameters;
using Hypergrad.Unrolled;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Hypergrad.Tests.Unrolled;

/// <summary>Finite difference (DARTS) and gradient alignment (IGA), float64.</summary>
public class FinalIterateMethodTests
{
    // Bilinear inner coupling: g = λᵀAw + ½wᵀDw (∇_λg = Aw is linear in w, so the central difference is exact),
    // F = ½‖w − w_t‖² + ½‖λ‖²·0.1.
    sealed class Bilinear
    {
        public readonly Tensor A = randn(3, 6, float64, generator: new Generator(11));
        public readonly Tensor Diagonal = linspace(0.5, 1.5, 6, dtype: float64);
        public readonly Tensor Target = linspace(-1, 1, 6, dtype: float64);
        public readonly Tensor W = linspace(0.2, -0.4, 6, dtype: float64).requires_grad_(true);
        public readonly Tensor Lambda = tensor(new[] { 0.3, -0.7, 1.1 }).requires_grad_(true);
        public UnrolledProblem Problem(double eta) => new(new ParameterSet(("w", W)), new ParameterSet(("lambda", Lambda)),
            () => Lambda.dot(A.mv(W)) + 0.5 * (W * W * Diagonal).sum(),
            () => 0.5 * (W - Target).pow(2).sum() + 0.05 * Lambda.pow(2).sum(), new DifferentiableSgd(eta));
    }

    [Fact]
    public void FiniteDifference_on_a_bilinear_problem_equals_the_unrolled_gradient()
    {
        var problem = new Bilinear();
        // One inner step: FD is DARTS and equals the one-step unrolled gradient.
        var fd = UnrolledHypergradient.Compute(problem.Problem(0.3), Method.FiniteDifference, new UnrolledOptions { UnrollSteps = 1 });
        var rad = UnrolledHypergradient.Compute(problem.Problem(0.3), Method.ReverseUnroll, new UnrolledOptions { UnrollSteps = 1 });
        Quadratic.AssertClose(rad["lambda"], fd["lambda"], 1e-9, "FD vs RAD, T = 1");

        // T steps: FD differentiates the last step only, i.e. the truncated unroll with K = 1.
        var fd5 = UnrolledHypergradient.Compute(problem.Problem(0.3), Method.FiniteDifference, new UnrolledOptions { UnrollSteps = 5 });
        var rgt = UnrolledHypergradient.Compute(problem.Problem(0.3), Method.TruncatedUnroll, new UnrolledOptions { UnrollSteps = 5, Truncation = 1 });
        Quadratic.AssertClose(rgt["lambda"], fd5["lambda"], 1e-9, "FD vs RGT(K = 1), T = 5");
    }

    [Fact]
    public void FiniteDifference_needs_the_step_size_of_a_non_SGD_optimizer()
    {
        var problem = new Bilinear();
        var p = new UnrolledProblem(new ParameterSet(("w", problem.W)), new ParameterSet(("lambda", problem.Lambda)),
            () => problem.Lambda.dot(problem.A.mv(problem.W)), () => problem.W.sum(), new DifferentiableAdam(0.1));
        var ex = Assert.Throws<HypergradException>(() => UnrolledHypergradient.Compute(p, Method.FiniteDifference, new UnrolledOptions { UnrollSteps = 2 }));
        Assert.Contains("FiniteDifferenceStepSize", ex.Message);
    }

    [Fact]
    public void GradientAlignment_matches_its_closed_form_on_the_quadratic()
    {
        // IGA = ∇_λF − c ∇_λg at w_T with c = ⟨∇_wF, ∇_wg⟩/‖∇_wg‖²; here ∇_λF = μλ, ∇_λg = −Bᵀw_T.
        var q = new Quadratic();
        var result = UnrolledHypergradient.Compute(q.Problem(new DifferentiableSgd(0.2)), Method.GradientAlignment, new UnrolledOptions { UnrollSteps = 4 });
        using var _ = no_grad();
        var wT = q.Iterates(0.2, 4)[^1];
        var dF = wT - q.Target;
        var dg = q.H.mv(wT) - q.B.mv(q.Lambda) - q.C;
        var c = dF.dot(dg) / dg.dot(dg);
        var expected = Quadratic.Mu * q.Lambda + c * q.B.t().mv(wT);
        Quadratic.AssertClose(expected, result["lambda"], 1e-12, "IGA");
        Assert.Equal(Method.GradientAlignment, result.Method);
    }
}
