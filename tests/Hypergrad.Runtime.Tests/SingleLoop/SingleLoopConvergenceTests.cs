using Hypergrad.Optimizers;
using Hypergrad.Solving;
using Xunit;
using static TorchSharp.torch;

namespace Hypergrad.Tests.SingleLoop;

/// <summary>
/// Closed-form convergence of the single-loop methods through <c>Run</c> on <see cref="BilevelQuadratic"/>: deterministic
/// (one batch each, constant steps) to the bilevel solution at 1e-8; on minibatches (4 batches of g, 3 of F whose noise
/// averages out) to the stated tolerance. The settings are the papers' update rules with steps tuned once for this problem.
/// </summary>
public class SingleLoopConvergenceTests
{
    internal static (double Lambda, double W, BilevelRunResult Run, BilevelQuadratic Quadratic) Solve(HypergradientSettings settings, int steps,
        double innerRate, double outerRate, int innerBatches = 1, int outerBatches = 1, List<BilevelProgress>? reports = null)
    {
        var quadratic = new BilevelQuadratic(settings, innerBatches, outerBatches);
        var run = BilevelSolver.Run(quadratic.Problem, quadratic.Train(), quadratic.Validation(), new BilevelOptions
        {
            Steps = steps,
            InnerOptimizer = new DifferentiableSgd(innerRate),
            OuterOptimizer = new DifferentiableSgd(outerRate),
            AfterOuterStep = reports is null ? null : reports.Add,
        });
        var lambdaStar = quadratic.OuterSolution();
        var wStar = quadratic.InnerSolution(lambdaStar);
        return (BilevelQuadratic.RelativeError(quadratic.Lambda.detach(), lambdaStar), BilevelQuadratic.RelativeError(quadratic.W.detach(), wStar), run, quadratic);
    }

    public static TheoryData<string, int, double, double> Deterministic => new()
    {
        // method (settings below), iterations, inner rate ρ, outer rate γ
        { "Soba", 1000, 0.3, 0.1 },
        { "MaSoba", 1500, 0.3, 0.1 },
        { "Saba", 1500, 0.3, 0.1 },
        { "Amigo", 600, 0.3, 0.1 },
        { "StocBio", 150, 0.4, 0.3 },
    };

    internal static HypergradientSettings Settings(string method) => method switch
    {
        "Soba" => new(Method.Soba) { StepExponent = 0 },
        "MaSoba" => new(Method.MaSoba) { Averaging = 0.5 },
        "Saba" => new(Method.Saba),
        "Amigo" => new(Method.Amigo) { InnerSteps = 2, Iterations = 2 },
        // 60 Neumann products at η = 0.7: the series' truncation (I − ηH)^61 is below 1e-9 here.
        "StocBio" => new(Method.StocBio) { InnerSteps = 3, Iterations = 60, AuxiliaryStepSize = 0.7 },
        _ => throw new ArgumentException(method),
    };

    [Theory]
    [MemberData(nameof(Deterministic))]
    public void Deterministic_iterates_converge_to_the_bilevel_solution(string method, int steps, double innerRate, double outerRate)
    {
        var reports = new List<BilevelProgress>();
        var (lambda, w, run, _) = Solve(Settings(method), steps, innerRate, outerRate, reports: reports);
        Assert.True(lambda < 1e-8 && w < 1e-8, $"{method}: λ error {lambda:E2}, w error {w:E2}");
        Assert.Equal(steps, run.OuterSteps);
        // The last step certifies itself: z's residual and the inner stationarity are below the default tolerance 1e-6.
        Assert.True(reports[^1].Converged, $"{method}: residual {reports[^1].RelativeResidual:E2}");
        Assert.True(reports[^1].RelativeResidual < 1e-6);
        Assert.False(reports[0].Converged);
        Assert.True(reports[0].HessianVectorProducts > 0);
    }

    [Theory]
    [InlineData("Soba", 2000, 1e-2)]
    [InlineData("MaSoba", 2000, 2e-2)]
    [InlineData("Saba", 1500, 1e-8)]
    [InlineData("Amigo", 1000, 6e-2)]
    [InlineData("StocBio", 400, 0.2)]
    public void On_minibatches_the_iterates_get_within_the_stated_tolerance(string method, int steps, double tolerance)
    {
        // SOBA's decreasing schedule (ρ, γ)/√(t + 1) for all but SABA, whose variance reduction converges with constant steps.
        var settings = method switch
        {
            "Saba" => new HypergradientSettings(Method.Saba),
            "StocBio" => new HypergradientSettings(Method.StocBio) { InnerSteps = 2, Iterations = 20, StepExponent = 0.5 },
            _ => Settings(method) with { StepExponent = 0.5 },
        };
        var (lambda, w, _, _) = Solve(settings, steps, 0.3, 0.1, innerBatches: 4, outerBatches: 3);
        Assert.True(lambda < tolerance && w < tolerance, $"{method}: λ error {lambda:E2}, w error {w:E2} (tolerance {tolerance:E0})");
    }
}
