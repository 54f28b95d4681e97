using Hypergrad.Optimizers;
using Hypergrad.Unrolled;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Hypergrad.Tests.Unrolled;

/// <summary>DM: interleaved inner and multiplier steps converge to the exact implicit hypergradient at w* (float64).</summary>
public class DualMultiplierTests
{
    [Theory]
    [InlineData(Operation.ConjugateGradient)]
    [InlineData(Operation.ReverseUnroll)]
    public void Converges_to_the_implicit_hypergradient_at_the_inner_solution(Operation update)
    {
        var q = new Quadratic();
        using var dm = new DualMultiplierHypergradient(q.Problem(new DifferentiableSgd(0.2)), [Operation.DualMultiplier, update], multiplierStepSize: 0.2);
        HypergradientResult? result = null;
        for (int step = 0; step < 300; step++) { result?.Dispose(); result = dm.Compute(); }

        using var _ = no_grad();
        var wStar = linalg.solve(q.H, q.B.mv(q.Lambda) + q.C);
        var expected = Quadratic.Mu * q.Lambda + q.B.t().mv(linalg.solve(q.H, wStar - q.Target));
        Quadratic.AssertClose(wStar, q.W, 1e-8, "inner variables after 300 DM steps");
        Quadratic.AssertClose(expected, result!["lambda"], 1e-6, $"DM + {update}");
        Assert.True(result.RelativeResidual < 1e-6);
        Assert.True(result.Converged && result.InnerStationarity <= 1e-6, result.ToString());
        Assert.Equal(HypergradientKind.Implicit, result.Kind);
    }

    [Fact]
    public void The_first_outer_step_is_not_converged_and_says_why()
    {
        // v starts at 0: the residual ‖Hv − ∇_wF‖/‖∇_wF‖ of the multiplier used is exactly 1.
        var q = new Quadratic();
        using var dm = new DualMultiplierHypergradient(q.Problem(new DifferentiableSgd(0.2)), [Operation.DualMultiplier, Operation.ConjugateGradient]);
        using var first = dm.Compute();
        Assert.Equal(1.0, first.RelativeResidual, 12);
        Assert.False(first.Converged);
        Assert.Contains(first.Warnings, w => w.Contains("residual"));
    }

    [Fact]
    public void The_inner_optimizer_state_lives_across_outer_steps()
    {
        // DM's in-place inner steps with momentum against SGD with momentum written out by hand:
        // buf = g on the first step, then buf ← 0.5·buf + g; w ← w − 0.2·buf, with g = Hw − (Bλ + c).
        var q = new Quadratic();
        var w = q.W.detach().clone();
        using var dm = new DualMultiplierHypergradient(q.Problem(new DifferentiableSgd(0.2, momentum: 0.5)), [Operation.DualMultiplier, Operation.ReverseUnroll]);
        Tensor? buffer = null;
        for (int step = 0; step < 3; step++)
        {
            dm.Compute().Dispose();
            using var _ = no_grad();
            var g = q.H.mv(w) - (q.B.mv(q.Lambda) + q.C);
            buffer = buffer is null ? g : 0.5 * buffer + g;
            w = w - 0.2 * buffer;
        }
        Quadratic.AssertClose(w, q.W, 1e-12, "inner variables after 3 DM steps with momentum");
    }

    [Fact]
    public void Needs_one_inner_step_and_RAD_or_CG()
    {
        var q = new Quadratic();
        Assert.Contains("DM works with RAD or CG alone", Assert.Throws<HypergradException>(() =>
            new DualMultiplierHypergradient(q.Problem(new DifferentiableSgd(0.2)), [Operation.DualMultiplier, Operation.FiniteDifference])).Message);
        Assert.Contains("InnerSteps = 1", Assert.Throws<HypergradException>(() =>
            new DualMultiplierHypergradient(q.Problem(new DifferentiableSgd(0.2)), [Operation.DualMultiplier, Operation.ReverseUnroll], options: new UnrolledOptions { InnerSteps = 5 })).Message);
        Assert.Contains("DualMultiplierHypergradient", Assert.Throws<HypergradException>(() =>
            UnrolledHypergradient.Compose(q.Problem(new DifferentiableSgd(0.2)), [Operation.DualMultiplier, Operation.ReverseUnroll], new UnrolledOptions { InnerSteps = 1 })).Message);
    }
}
