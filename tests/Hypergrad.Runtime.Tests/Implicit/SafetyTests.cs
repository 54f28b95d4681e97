using Hypergrad.Implicit;
using Hypergrad.Parameters;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace Hypergrad.Tests.Implicit;

/// <summary>Bad input becomes a HypergradException naming the problem (never a process abort), or a reported condition.</summary>
public class SafetyTests
{
    static ImplicitHypergradient Engine(Quadratic q, ImplicitSolver? solver = null) =>
        new(q.Inner, q.Outer, solver ?? new ConjugateGradient { Iterations = 20, Tolerance = 1e-10 });

    [Fact]
    public void A_non_scalar_objective_is_refused()
    {
        var q = new Quadratic();
        var inner = Assert.Throws<HypergradException>(() => Engine(q).Compute(() => q.W * q.H.mv(q.W), q.OuterObjective));
        Assert.Contains("inner objective must return a scalar", inner.Message);
        var outer = Assert.Throws<HypergradException>(() => Engine(q).Compute(q.InnerObjective, () => q.W - q.Target));
        Assert.Contains("outer objective must return a scalar", outer.Message);
    }

    [Fact]
    public void An_inner_variable_the_inner_objective_does_not_use_is_named()
    {
        var q = new Quadratic();
        var spare = new Parameter(zeros(2, dtype: float64));
        var engine = new ImplicitHypergradient(new ParameterSet(("W", q.W), ("Spare", spare)), q.Outer, new ConjugateGradient());
        var ex = Assert.Throws<HypergradException>(() => engine.Compute(q.InnerObjective, q.OuterObjective));
        Assert.Contains("inner objective does not depend on variable 'Spare'", ex.Message);
        Assert.True(spare.is_leaf && q.W.is_leaf);   // substitution undone
    }

    [Fact]
    public void An_outer_variable_neither_objective_touches_gets_zero_and_a_warning()
    {
        var q = new Quadratic();
        var unused = new Parameter(ones(4, dtype: float64));
        var outer = new ParameterSet(("Lambda", q.Lambda), ("Unused", unused));
        using var result = new ImplicitHypergradient(q.Inner, outer, new ConjugateGradient { Iterations = 20, Tolerance = 1e-12 })
            .Compute(q.InnerObjective, q.OuterObjective);
        Assert.Equal(new double[4], result["Unused"].data<double>().ToArray());
        Assert.True(Quadratic.RelativeError(result["Lambda"], q.Expected()) < 1e-8);
        var warning = Assert.Single(result.Warnings);
        Assert.Contains("'Unused' is touched by neither objective", warning);
        Assert.Contains("Unused", result.ToString());
    }

    [Fact]
    public void A_non_finite_residual_stops_the_solve_and_changes_nothing()
    {
        var q = new Quadratic();
        var before = q.Lambda.detach().clone();
        var nan = tensor(double.NaN, dtype: float64);
        foreach (var solver in new ImplicitSolver[] { new ConjugateGradient(), new OptimizerSolve(), new Neumann(), new Nystrom(), new Exact() })
        {
            var ex = Assert.Throws<HypergradException>(() =>
                Engine(q, solver).Compute(() => q.InnerObjective() + nan * q.W.pow(2).sum(), q.OuterObjective, accumulateGrad: true));
            Assert.Contains(solver.Method.ToString(), ex.Message);
            Assert.Contains("non-finite", ex.Message);
        }
        Assert.Null(q.Lambda.grad);
        Assert.Equal(before.data<double>().ToArray(), q.Lambda.data<double>().ToArray());
        Assert.True(q.W.is_leaf && q.Lambda.is_leaf);
    }

    [Fact]
    public void A_diverging_iteration_is_reported_not_silent()
    {
        var q = new Quadratic();
        using var truncated = Engine(q, new ConjugateGradient { Iterations = 2, Tolerance = 1e-12 }).Compute(q.InnerObjective, q.OuterObjective);
        Assert.False(truncated.Converged);
        Assert.True(truncated.RelativeResidual > 1e-12);
        Assert.Contains("NOT converged", truncated.ToString());

        // α far above 2/λ_max: the residual grows; the result says so.
        using var diverging = Engine(q, new Neumann { Alpha = 10 / q.LargestEigenvalue, Iterations = 5 }).Compute(q.InnerObjective, q.OuterObjective);
        Assert.False(diverging.Converged);
        Assert.Contains(diverging.Warnings, w => w.Contains("diverges"));
    }

    [Fact]
    public void Misdeclared_problems_are_refused_with_the_fix()
    {
        var q = new Quadratic();
        var both = Assert.Throws<HypergradException>(() => new ImplicitHypergradient(q.Inner, new ParameterSet(("Again", q.W)), new ConjugateGradient()));
        Assert.Contains("'Again' is both an inner and an outer variable", both.Message);

        var badMap = Assert.Throws<HypergradException>(() => Engine(q).ComputeWithFixedPointMap(w => w.sum(), q.OuterObjective));
        Assert.Contains("flat Float64 tensor of 10 values", badMap.Message);

        var nystrom = Assert.Throws<HypergradException>(() => Engine(q, new Nystrom { Rho = 0 }).Compute(q.InnerObjective, q.OuterObjective));
        Assert.Contains("Rho = 0 is invalid", nystrom.Message);

        var exact = Assert.Throws<HypergradException>(() => Engine(q, new Exact { MaxSize = 5 }).Compute(q.InnerObjective, q.OuterObjective));
        Assert.Contains("MaxSize", exact.Message);
    }

    [Fact]
    public void An_outer_objective_of_the_outer_variables_only_needs_no_solve()
    {
        var q = new Quadratic();
        using var result = Engine(q).Compute(q.InnerObjective, () => q.Lambda.pow(2).sum());
        Assert.Equal(0, result.HessianVectorProducts);
        Assert.Equal((2 * q.Lambda).data<double>().ToArray(), result["Lambda"].data<double>().ToArray());
        Assert.True(result.Converged);
    }
}
