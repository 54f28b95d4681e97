using Hypergrad.Optimizers;
using Hypergrad.Solving;
using Xunit;
using static TorchSharp.torch;

namespace Hypergrad.Tests.SingleLoop;

/// <summary>
/// Closed-form convergence of the single-loop methods on <see cref="BilevelQuadratic"/>: deterministic (one batch each,
/// constant steps) to the bilevel solution at 1e-8; stochastic (several batches) to a stated tolerance.
/// </summary>
public class SingleLoopConvergenceTests
{
    internal static (double Lambda, double W, BilevelRunResult Run) Solve(HypergradientSettings settings, int steps, double innerRate, double outerRate,
        int innerBatches = 1, int outerBatches = 1)
    {
        var quadratic = new BilevelQuadratic(settings, innerBatches, outerBatches);
        var run = BilevelSolver.Run(quadratic.Problem, quadratic.Train(), quadratic.Validation(), new BilevelOptions
        {
            Steps = steps,
            InnerOptimizer = new DifferentiableSgd(innerRate),
            OuterOptimizer = new DifferentiableSgd(outerRate),
        });
        var lambdaStar = quadratic.OuterSolution();
        var wStar = quadratic.InnerSolution(lambdaStar);
        return (BilevelQuadratic.RelativeError(quadratic.Lambda.detach(), lambdaStar), BilevelQuadratic.RelativeError(quadratic.W.detach(), wStar), run);
    }

    [Fact]
    public void Soba_with_constant_steps_converges_to_the_bilevel_solution()
    {
        var (lambda, w, run) = Solve(new HypergradientSettings(Method.Soba) { StepExponent = 0 }, steps: 1500, innerRate: 0.3, outerRate: 0.1);
        Assert.True(lambda < 1e-8 && w < 1e-8, $"λ error {lambda:E2}, w error {w:E2}");
        Assert.Equal(1500, run.OuterSteps);
        Assert.Equal(0, run.OuterStepsNotConverged > 1400 ? 1 : 0);   // the late iterations certify themselves (residual and stationarity ≤ 1e-6)
    }

    [Fact]
    public void Soba_on_minibatches_with_its_decreasing_schedule_gets_within_one_percent()
    {
        // 4 batches of g and 3 of F whose noise averages out; benchopt's schedule (ρ, γ) / √(t + 1).
        var (lambda, w, _) = Solve(new HypergradientSettings(Method.Soba), steps: 2000, innerRate: 0.3, outerRate: 0.1, innerBatches: 4, outerBatches: 3);
        Assert.True(lambda < 1e-2 && w < 1e-2, $"λ error {lambda:E2}, w error {w:E2}");
    }
}
