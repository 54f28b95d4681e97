using Hypergrad.Implicit;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Hypergrad.Tests.Implicit;

/// <summary>The forward solve of equilibrium problems, against the closed form of a linear contraction.</summary>
public class EquilibriumTests
{
    // Φ(z) = A z + b with ‖A‖₂ = 0.5: z* = (I − A)⁻¹ b, and the error shrinks by at most 0.5 per iteration.
    private readonly Tensor A = tensor(new double[,] { { 0.3, 0.4 }, { 0.0, 0.2 } }, dtype: float64) * 0.5 / 0.5239;
    private readonly Tensor B = tensor(new double[] { 1.0, -2.0 }, dtype: float64);
    private Tensor Map(Tensor z) => A.matmul(z) + B;

    [Fact]
    public void FindsTheFixedPointOfAContractionToTheTolerance()
    {
        var start = zeros(2, dtype: float64);
        var found = Equilibrium.Find(Map, start, maxIterations: 200, tolerance: 1e-13);

        var exact = linalg.solve(eye(2, dtype: float64) - A, B);
        Assert.True(found.Converged && found.RelativeResidual <= 1e-13, found.ToString());
        Assert.True((found.State - exact).abs().max().item<double>() < 1e-12);
        Assert.InRange(found.Iterations, 10, 60);
        Assert.Equal(0.0, start.abs().sum().item<double>());   // the start is not modified
    }

    [Fact]
    public void StartingAtTheFixedPointStopsAfterOneIteration()
    {
        var exact = linalg.solve(eye(2, dtype: float64) - A, B);
        var found = Equilibrium.Find(Map, exact, maxIterations: 200, tolerance: 1e-12);
        Assert.Equal(1, found.Iterations);
        Assert.True(found.Converged);
    }

    [Fact]
    public void ABudgetTooSmallIsReportedNotSilent()
    {
        var found = Equilibrium.Find(Map, zeros(2, dtype: float64), maxIterations: 3, tolerance: 1e-13);
        Assert.Equal(3, found.Iterations);
        Assert.False(found.Converged);
        Assert.True(found.RelativeResidual > 1e-13);
    }

    [Fact]
    public void DivergenceAndWrongShapesRaiseHypergradExceptions()
    {
        var diverging = Assert.Throws<HypergradException>(() => Equilibrium.Find(z => z * 1e200 + 1, zeros(2, dtype: float64), 10, 1e-6, "Φ"));
        Assert.Contains("diverged", diverging.Message);
        var shape = Assert.Throws<HypergradException>(() => Equilibrium.Find(z => cat(new[] { z, z }), zeros(2, dtype: float64), 10, 1e-6, "Φ"));
        Assert.Contains("shaped like z", shape.Message);
        var failing = Assert.Throws<HypergradException>(() => Equilibrium.Find(z => z + ones(3, dtype: float64), zeros(2, dtype: float64), 10, 1e-6, "Φ"));
        Assert.Contains("Φ failed on a state of shape [2]", failing.Message);
        Assert.Throws<HypergradException>(() => Equilibrium.Find(Map, zeros(2, dtype: float64), 0, 1e-6));
        Assert.Throws<HypergradException>(() => Equilibrium.Find(Map, zeros(2, dtype: float64), 10, 0));
    }
}
