using Hypergrad.Implicit;
using Xunit;

namespace Hypergrad.Tests.Implicit;

/// <summary>
/// Without Alpha, Neumann, FixedPoint (on an inner objective) and OptimizerSolve take α = 1/λ̂_max from power
/// iteration: on a quadratic with λ_max = 7.6 the default converges where α = 1 diverges.
/// </summary>
public class StepSizeTests
{
    static readonly double[] Spectrum = { 7.6, 5, 3, 2, 1, 0.8, 0.5 };

    [Fact]
    public void Neumann_with_alpha_one_diverges_and_the_automatic_alpha_converges()
    {
        var q = new SpectrumQuadratic(Spectrum);
        using var fixedStep = q.Solve(new Neumann { Alpha = 1, Iterations = 50, Tolerance = 1e-8 });
        Assert.False(fixedStep.Converged);
        Assert.True(fixedStep.RelativeResidual > 1e6);                           // (1 − 7.6)^50
        Assert.Contains(fixedStep.Warnings, w => w.Contains("diverges"));
        Assert.Equal(1, fixedStep.StepSize);

        using var automatic = q.Solve(new Neumann { Iterations = 500, Tolerance = 1e-8 });
        Assert.True(automatic.Converged, automatic.ToString());
        Assert.True(Quadratic.RelativeError(automatic["Lambda"], q.Expected()) < 1e-6);
        Assert.InRange(automatic.StepSize!.Value, 1 / 7.6, 2 / 7.6);              // the Rayleigh quotient is ≤ λ_max
        Assert.True(automatic.HessianVectorProducts > automatic.Iterations);      // power iterations are counted
        Assert.InRange(automatic.HessianVectorProducts - automatic.Iterations, 2, 11);   // at most 10 power iterations
    }

    [Fact]
    public void FixedPoint_on_an_inner_objective_uses_the_automatic_step()
    {
        var q = new SpectrumQuadratic(Spectrum);
        using var unit = q.Solve(new FixedPoint { Alpha = 1, Iterations = 50, Tolerance = 1e-8 });
        Assert.False(unit.Converged);
        using var automatic = q.Solve(new FixedPoint { Iterations = 500, Tolerance = 1e-8 });
        Assert.True(automatic.Converged, automatic.ToString());
        Assert.True(Quadratic.RelativeError(automatic["Lambda"], q.Expected()) < 1e-6);
        Assert.InRange(automatic.StepSize!.Value, 1 / 7.6, 2 / 7.6);
    }

    [Fact]
    public void OptimizerSolve_uses_the_automatic_learning_rate()
    {
        var q = new SpectrumQuadratic(Spectrum);
        using var large = q.Solve(new OptimizerSolve { LearningRate = 1, Iterations = 100, Tolerance = 1e-8 });
        Assert.False(large.Converged);
        using var automatic = q.Solve(new OptimizerSolve { Iterations = 1000, Tolerance = 1e-8 });
        Assert.True(automatic.Converged, automatic.ToString());
        Assert.True(Quadratic.RelativeError(automatic["Lambda"], q.Expected()) < 1e-6);
        Assert.InRange(automatic.StepSize!.Value, 1 / 7.6, 2 / 7.6);
    }

    [Fact]
    public void A_Hessian_without_positive_curvature_is_refused_with_the_fix()
    {
        var q = new SpectrumQuadratic(new[] { -1.0, -2, -3 });
        var error = Assert.Throws<HypergradException>(() => q.Solve(new Neumann()));
        Assert.Contains("Alpha", error.Message);
        Assert.Contains("positive largest eigenvalue", error.Message);
    }
}
