using Hypergrad.Optimizers;
using Hypergrad.Parameters;
using Hypergrad.Solving;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace Hypergrad.Tests.Implicit;

/// <summary>
/// An outer step that makes the fixed-point map non-contractive (its next equilibrium solve diverges) is blamed and
/// undone, like one that makes F jump; a map that diverges at the run's first step is reported as it is.
/// </summary>
public class EquilibriumDivergenceTests
{
    static (FixedPointProblem<ValueTuple> Problem, Parameter Recurrent) Linear(double recurrent)
    {
        // z ← zR + x·Injection, a contraction while ‖R‖ < 1; F = mean (Σⱼ zᵢⱼ − yᵢ)².
        var state = zeros(4, 2, dtype: float64);
        var r = new Parameter(full(2, 2, recurrent, dtype: float64));
        var injection = new Parameter(full(3, 2, 0.2, dtype: float64));
        var x = ones(4, 3, dtype: float64);
        var y = full(4, 10.0, dtype: float64);
        var problem = new FixedPointProblem<ValueTuple>("LinearDeq",
            new HypergradientSettings(Method.FixedPoint) { EquilibriumIterations = 200, EquilibriumTolerance = 1e-10 },
            new ParameterSet(("State", state)), new ParameterSet(("Recurrent", (Tensor)r), ("Injection", (Tensor)injection)),
            new FixedPointMapOfBatch<ValueTuple>("Layer", _ => z => z.mm(r) + x.mm(injection)),
            new Objective<ValueTuple>("Loss", _ => (state.sum(1) - y).pow(2).mean()));
        return (problem, r);
    }

    [Fact]
    public void An_outer_step_that_breaks_the_contraction_is_blamed_and_undone()
    {
        var (problem, recurrent) = Linear(0.1);
        var before = recurrent.detach().clone();
        int reports = 0;
        // F pulls Σ z up towards 10: R grows, and a step of 1e3 takes it far past 1.
        var error = Assert.Throws<HypergradException>(() => FixedPointSolver.Run(problem, Batches.None,
            new BilevelOptions { Steps = 5, OuterOptimizer = new DifferentiableSgd(1e3), AfterOuterStep = _ => reports++ }));
        Assert.StartsWith("LinearDeq: outer step 1 diverged: it moved the outer variables so that the equilibrium solve of the next step failed.", error.Message);
        Assert.Contains("non-finite residual", error.Message);
        Assert.Contains("Lower the outer optimizer's learning rate", error.Message);
        Assert.Equal(1, reports);
        Assert.True(recurrent.detach().eq(before).all().item<bool>(), "outer step 1 must be undone");
    }

    [Fact]
    public void A_map_that_diverges_at_the_first_step_is_reported_without_blaming_an_outer_step()
    {
        var (problem, recurrent) = Linear(5.0);   // ‖R‖ = 10: the iterates overflow within the 200 iterations
        var error = Assert.Throws<HypergradException>(() => FixedPointSolver.Run(problem, Batches.None,
            new BilevelOptions { Steps = 5, OuterOptimizer = new DifferentiableSgd(0.01) }));
        Assert.Contains("non-finite residual", error.Message);
        Assert.DoesNotContain("outer step", error.Message);
        Assert.Equal(5.0, recurrent.detach()[0, 0].item<double>());
    }
}
