using Hypergrad.Implicit;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Hypergrad.Tests.Implicit;

/// <summary>Every implicit method against closed-form check 1 (docs/methods.md), at its stated tolerance.</summary>
public class QuadraticTests
{
    static HypergradientResult Solve(Quadratic q, ImplicitSolver solver) =>
        new ImplicitHypergradient(q.Inner, q.Outer, solver).Compute(q.InnerObjective, q.OuterObjective);

    static HypergradientResult SolveWithStep(Quadratic q, ImplicitSolver solver, double step) =>
        new ImplicitHypergradient(q.Inner, q.Outer, solver).ComputeWithFixedPointMap(FixedPointMap.GradientStep(q.InnerObjective, step), q.OuterObjective);

    [Fact]
    public void ConjugateGradient_with_d_iterations_returns_the_converged_iterate()
    {
        var q = new Quadratic();
        using var result = Solve(q, new ConjugateGradient { Iterations = Quadratic.D, Tolerance = 1e-10 });
        Assert.True(Quadratic.RelativeError(result["Lambda"], q.Expected()) < 1e-8);
        Assert.True(result.Converged);
        Assert.True(result.RelativeResidual <= 1e-10);
        Assert.InRange(result.Iterations, 1, Quadratic.D);
        Assert.Equal(result.Iterations, result.HessianVectorProducts);
        Assert.Equal(Method.ConjugateGradient, result.Method);
    }

    [Fact]
    public void ConjugateGradient_on_a_gradient_step_map_solves_I_minus_J_transposed()
    {
        var q = new Quadratic();
        using var result = SolveWithStep(q, new ConjugateGradient { Iterations = Quadratic.D, Tolerance = 1e-12 }, step: 0.1);
        Assert.True(Quadratic.RelativeError(result["Lambda"], q.Expected()) < 1e-8);
    }

    [Fact]
    public void ConjugateGradientNormal_on_the_objective_and_on_a_non_symmetric_map()
    {
        var q = new Quadratic();
        using var onObjective = Solve(q, new ConjugateGradientNormal { Iterations = 100, Tolerance = 1e-12 });
        Assert.True(Quadratic.RelativeError(onObjective["Lambda"], q.Expected()) < 1e-6);

        // Preconditioned step Φ(w) = w − η P ∇g with P non-symmetric: J = I − ηPH is not symmetric, but the
        // fixed point is the same, so the hypergradient is the exact one.
        var p = eye(Quadratic.D, dtype: float64) + 0.3 * triu(ones(Quadratic.D, Quadratic.D, dtype: float64), 1);
        var gradient = FixedPointMap.GradientStep(q.InnerObjective, 1.0);
        Func<Tensor, Tensor> preconditioned = w => w - 0.1 * p.mv(w - gradient(w));
        using var onMap = new ImplicitHypergradient(q.Inner, q.Outer, new ConjugateGradientNormal { Iterations = 200, Tolerance = 1e-13 })
            .ComputeWithFixedPointMap(preconditioned, q.OuterObjective);
        Assert.True(Quadratic.RelativeError(onMap["Lambda"], q.Expected()) < 1e-6, onMap.ToString());
        Assert.Equal(2 * onMap.Iterations + 2, onMap.HessianVectorProducts);
    }

    [Fact]
    public void Neumann_with_alpha_one_over_lambda_max_and_500_terms()
    {
        var q = new Quadratic();
        using var result = Solve(q, new Neumann { Alpha = 1 / q.LargestEigenvalue, Iterations = 500, Tolerance = 0 });
        Assert.True(Quadratic.RelativeError(result["Lambda"], q.Expected()) < 1e-6);
        Assert.Equal(501, result.HessianVectorProducts);
    }

    [Fact]
    public void Neumann_K_equals_fixed_point_with_K_plus_one_iterations()
    {
        // Closed-form check 4 (docs/methods.md) under our convention: Neumann(K) sums K + 1 terms.
        var q = new Quadratic();
        double alpha = 1 / q.LargestEigenvalue;
        const int k = 20;
        using var neumann = Solve(q, new Neumann { Alpha = alpha, Iterations = k, Tolerance = 0 });
        using var fixedPoint = SolveWithStep(q, new FixedPoint { Iterations = k + 1, Tolerance = 0 }, alpha);
        Assert.True((neumann["Lambda"] - fixedPoint["Lambda"]).abs().max().ToDouble() < 1e-12);
        Assert.Equal(neumann.RelativeResidual, fixedPoint.RelativeResidual, 12);
        // …and it is a truncation: still far from the exact answer after 21 terms.
        Assert.False(neumann.Converged);

        using var converged = SolveWithStep(q, new FixedPoint { Iterations = 2000, Tolerance = 1e-12 }, alpha);
        Assert.True(Quadratic.RelativeError(converged["Lambda"], q.Expected()) < 1e-6);
        Assert.True(converged.Converged);
    }

    [Fact]
    public void Nystrom_full_rank_equals_the_damped_solve_and_low_rank_is_repeatable()
    {
        var q = new Quadratic();
        using var full = Solve(q, new Nystrom { Rank = Quadratic.D, Rho = 1e-3 });
        Assert.True(Quadratic.RelativeError(full["Lambda"], q.Expected(1e-3)) < 1e-8);
        Assert.Equal(Quadratic.D + 1, full.HessianVectorProducts);

        using var a = Solve(q, new Nystrom { Rank = 4, Rho = 0.1, Seed = 7 });
        using var b = Solve(q, new Nystrom { Rank = 4, Rho = 0.1, Seed = 7 });
        using var other = Solve(q, new Nystrom { Rank = 4, Rho = 0.1, Seed = 8 });
        Assert.True(a["Lambda"].isfinite().all().ToBoolean());
        Assert.Equal(a["Lambda"].data<double>().ToArray(), b["Lambda"].data<double>().ToArray());
        Assert.NotEqual(a["Lambda"].data<double>().ToArray(), other["Lambda"].data<double>().ToArray());
    }

    [Fact]
    public void OptimizerSolve_reaches_the_exact_answer()
    {
        var q = new Quadratic();
        using var result = Solve(q, new OptimizerSolve { LearningRate = 1 / q.LargestEigenvalue, Iterations = 2000, Tolerance = 1e-9 });
        Assert.True(Quadratic.RelativeError(result["Lambda"], q.Expected()) < 1e-6, result.ToString());
        Assert.True(result.Converged);
    }

    [Fact]
    public void Exact_dense_solve()
    {
        var q = new Quadratic();
        using var result = Solve(q, new Exact());
        Assert.True(Quadratic.RelativeError(result["Lambda"], q.Expected()) < 1e-10);
        Assert.Equal(Quadratic.D, result.HessianVectorProducts);

        using var damped = Solve(q, new Exact { Damping = 0.5 });
        Assert.True(Quadratic.RelativeError(damped["Lambda"], q.Expected(0.5)) < 1e-10);
    }

    [Fact]
    public void Damping_solves_the_ridge_system_for_iterative_methods_too()
    {
        var q = new Quadratic();
        using var cg = Solve(q, new ConjugateGradient { Iterations = 50, Tolerance = 1e-12, Damping = 0.25 });
        Assert.True(Quadratic.RelativeError(cg["Lambda"], q.Expected(0.25)) < 1e-8);
    }

    [Fact]
    public void Warm_start_reuses_the_previous_solution()
    {
        var q = new Quadratic();
        var engine = new ImplicitHypergradient(q.Inner, q.Outer, new ConjugateGradient { Iterations = 50, Tolerance = 1e-9, WarmStart = true });
        using var first = engine.Compute(q.InnerObjective, q.OuterObjective);
        using var second = engine.Compute(q.InnerObjective, q.OuterObjective);
        Assert.True(first.Iterations > 0);
        Assert.Equal(0, second.Iterations);   // the previous solution already meets the tolerance
        Assert.Equal(1, second.HessianVectorProducts);
        Assert.True(Quadratic.RelativeError(second["Lambda"], q.Expected()) < 1e-8);
    }

    [Fact]
    public void Every_method_enum_value_for_implicit_methods_has_a_solver()
    {
        foreach (var method in new[] { Method.ConjugateGradient, Method.ConjugateGradientNormal, Method.Neumann, Method.FixedPoint, Method.Nystrom, Method.OptimizerSolve, Method.Exact })
            Assert.Equal(method, ImplicitSolver.Create(method).Method);
        Assert.Throws<HypergradException>(() => ImplicitSolver.Create(Method.ReverseUnroll));
    }
}
