using Hypergrad.Optimizers;
using Hypergrad.Unrolled;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Hypergrad.Tests.Unrolled;

/// <summary>Closed-form check 5 (docs/methods.md) and its variants: unrolled gradient descent on the quadratic, float64, against closed forms.</summary>
public class QuadraticUnrollTests
{
    const double Eta = 0.5;
    const int T = 7;

    [Fact]
    public void ReverseUnroll_matches_the_closed_form_of_check_5()
    {
        var q = new Quadratic();
        var result = UnrolledHypergradient.Compute(q.Problem(new DifferentiableSgd(Eta)), Method.ReverseUnroll, new UnrolledOptions { InnerSteps = T });
        Quadratic.AssertClose(q.UnrolledGradient(Eta, T, T), result["lambda"], 1e-10, "ReverseUnroll");
        Assert.Equal(Method.ReverseUnroll, result.Method);
        Assert.Equal(T, result.Iterations);
        Assert.True(double.IsNaN(result.RelativeResidual));
    }

    [Fact]
    public void ReverseRecompute_equals_ReverseUnroll_also_with_optimizer_state()
    {
        foreach (var make in new Func<DifferentiableOptimizer>[] { () => new DifferentiableSgd(Eta), () => new DifferentiableSgd(0.2, momentum: 0.6, nesterov: true), () => new DifferentiableAdam(0.05, epsRoot: 1e-12) })
        {
            var q = new Quadratic(w0: full(Quadratic.D, 0.3, float64));
            var options = new UnrolledOptions { InnerSteps = T };
            var unrolled = UnrolledHypergradient.Compute(q.Problem(make()), Method.ReverseUnroll, options);
            var recomputed = UnrolledHypergradient.Compute(q.Problem(make()), Method.ReverseRecompute, options);
            Quadratic.AssertClose(unrolled["lambda"], recomputed["lambda"], 1e-12, $"recompute vs unroll with {make().GetType().Name}");
            Assert.Equal(Method.ReverseRecompute, recomputed.Method);
        }
        var plain = new Quadratic();
        Quadratic.AssertClose(plain.UnrolledGradient(Eta, T, T),
            UnrolledHypergradient.Compute(plain.Problem(new DifferentiableSgd(Eta)), Method.ReverseRecompute, new UnrolledOptions { InnerSteps = T })["lambda"], 1e-10, "recompute vs closed form");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(6)]
    public void TruncatedUnroll_equals_the_truncated_closed_form(int k)
    {
        var q = new Quadratic();
        var result = UnrolledHypergradient.Compute(q.Problem(new DifferentiableSgd(Eta)), Method.TruncatedUnroll, new UnrolledOptions { InnerSteps = T, TruncationSteps = k });
        Quadratic.AssertClose(q.UnrolledGradient(Eta, T, k), result["lambda"], 1e-10, $"RGT K={k}");
        Assert.Equal(k, result.Iterations);
        // Truncation changes the answer: it is not the full unroll.
        Assert.True((q.UnrolledGradient(Eta, T, T) - result["lambda"]).norm().item<double>() > 1e-3);
    }

    [Fact]
    public void FirstOrder_keeps_only_the_direct_term()
    {
        var q = new Quadratic();
        var result = UnrolledHypergradient.Compute(q.Problem(new DifferentiableSgd(Eta)), Method.FirstOrder, new UnrolledOptions { InnerSteps = T });
        Quadratic.AssertClose(Quadratic.Mu * q.Lambda.detach(), result["lambda"], 1e-12, "FOA");
    }

    [Fact]
    public void PessimisticTrajectoryTruncation_differentiates_through_the_worst_iterate()
    {
        // With ηλ ∈ [1.35, 1.8] for every eigenvalue of H, every mode overshoots w* and oscillates while it
        // converges, so F(w_t) peaks early and the worst iterate is not the last one.
        var q = new Quadratic(h: diag(linspace(3, 4, Quadratic.D, dtype: float64)));
        const double eta = 0.45;
        var iterates = q.Iterates(eta, T);
        var losses = Enumerable.Range(1, T).Select(t => 0.5 * (iterates[t] - q.Target).pow(2).sum().item<double>()).ToList();
        int worst = 1 + losses.IndexOf(losses.Max());
        Assert.True(worst < T, $"the worst iterate is the last one ({worst}), so PTT would equal ReverseUnroll and prove nothing");
        var result = UnrolledHypergradient.Compute(q.Problem(new DifferentiableSgd(eta)), Method.PessimisticTrajectoryTruncation, new UnrolledOptions { InnerSteps = T });
        Quadratic.AssertClose(q.UnrolledGradient(eta, worst, worst), result["lambda"], 1e-10, $"PTT (worst iterate {worst})");
        Assert.Equal(Method.PessimisticTrajectoryTruncation, result.Method);
    }

    [Fact]
    public void Learnable_step_size_through_the_unroll_matches_check_6()
    {
        // One SGD step with η an outer variable: dF(w₁)/dη = −∇F(w₁)ᵀ ∇g(w₀).
        var q = new Quadratic(w0: linspace(-1, 1, Quadratic.D, dtype: float64));
        var eta = tensor(0.3, float64, requires_grad: true);
        var problem = new UnrolledProblem(q.Inner, new Hypergrad.Parameters.ParameterSet(("eta", eta), ("lambda", q.Lambda)), q.InnerObjective, q.OuterObjective, new DifferentiableSgd(eta));
        var result = UnrolledHypergradient.Compute(problem, Method.ReverseUnroll, new UnrolledOptions { InnerSteps = 1 });

        using var _ = no_grad();
        var w0 = q.W.detach();
        var gradG0 = q.H.mv(w0) - q.B.mv(q.Lambda) - q.C;
        var w1 = w0 - 0.3 * gradG0;
        var expected = -(w1 - q.Target).dot(gradG0).item<double>();
        Assert.Equal(expected, result["eta"].item<double>(), 10);
    }

    [Fact]
    public void InitializationUnroll_gives_the_MAML_gradient_and_FirstOrder_the_first_order_one()
    {
        // w_T = Mᵀw₀ + …, M = I − ηH symmetric: dF/dw₀ = M^T (w_T − w_target); first order: w_T − w_target.
        var q = new Quadratic(w0: linspace(-1, 1, Quadratic.D, dtype: float64));
        var maml = UnrolledHypergradient.Compose(q.Problem(new DifferentiableSgd(Eta), withOuter: false), [Operation.InitializationUnroll], new UnrolledOptions { InnerSteps = T });
        var firstOrder = UnrolledHypergradient.Compose(q.Problem(new DifferentiableSgd(Eta), withOuter: false), [Operation.FirstOrder, Operation.InitializationUnroll], new UnrolledOptions { InnerSteps = T });

        using var _ = no_grad();
        var residual = q.Iterates(Eta, T)[^1] - q.Target;
        var m = eye(Quadratic.D, dtype: float64) - Eta * q.H;
        Quadratic.AssertClose(m.matrix_power(T).mv(residual), maml["w"], 1e-10, "IAD");
        Quadratic.AssertClose(residual, firstOrder["w"], 1e-12, "FOA + IAD");
        Assert.Single(maml.Gradients);
    }

    [Fact]
    public void DynamicInitialization_returns_outer_and_initialization_gradients()
    {
        var q = new Quadratic(w0: linspace(-1, 1, Quadratic.D, dtype: float64));
        var options = new UnrolledOptions { InnerSteps = T };
        var result = UnrolledHypergradient.Compose(q.Problem(new DifferentiableSgd(Eta)), [Operation.DynamicInitialization, Operation.ReverseUnroll], options);
        Assert.Equal(["lambda", "w"], result.Gradients.Select(g => g.Name));
        Quadratic.AssertClose(q.UnrolledGradient(Eta, T, T), result["lambda"], 1e-10, "DI + RAD, outer");
        var maml = UnrolledHypergradient.Compose(q.Problem(new DifferentiableSgd(Eta), withOuter: false), [Operation.InitializationUnroll], options);
        Quadratic.AssertClose(maml["w"], result["w"], 1e-12, "DI + RAD, initialization");
    }

    [Fact]
    public void GradientDescentAggregation_matches_a_central_difference_of_the_aggregated_unroll()
    {
        const double alpha0 = 0.6, decay = 0.8;
        var q = new Quadratic();
        var result = UnrolledHypergradient.Compose(q.Problem(new DifferentiableSgd(Eta)), [Operation.GradientDescentAggregation, Operation.ReverseUnroll],
            new UnrolledOptions { InnerSteps = T, AggregationAlpha = alpha0, AggregationDecay = decay });

        // Independent: run the aggregated descent by its explicit gradient α_k(w − w_t) + (1 − α_k)(Hw − Bλ − c).
        double Outer(Tensor lambda)
        {
            var w = q.W.detach().clone();
            for (int k = 0; k < T; k++)
            {
                double a = alpha0 * Math.Pow(decay, k);
                w = w - Eta * (a * (w - q.Target) + (1 - a) * (q.H.mv(w) - q.B.mv(lambda) - q.C));
            }
            return (0.5 * (w - q.Target).pow(2).sum() + 0.5 * Quadratic.Mu * lambda.pow(2).sum()).item<double>();
        }
        using var _ = no_grad();
        var lambda0 = q.Lambda.detach().clone();
        var numeric = zeros(Quadratic.M, float64);
        for (int i = 0; i < Quadratic.M; i++)
        {
            var e = zeros(Quadratic.M, float64); e[i] = 1e-6;
            numeric[i] = (Outer(lambda0 + e) - Outer(lambda0 - e)) / 2e-6;
        }
        Quadratic.AssertClose(numeric, result["lambda"], 1e-7, "GDA + RAD");
        Assert.True((q.UnrolledGradient(Eta, T, T) - result["lambda"]).norm().item<double>() > 1e-3, "GDA changed nothing");
    }

    [Fact]
    public void ConjugateGradient_after_the_unroll_is_the_implicit_gradient_at_the_final_iterate()
    {
        // μλ + Bᵀ H⁻¹ (w_T − w_target): the implicit formula evaluated where the inner loop stopped.
        var q = new Quadratic();
        var before = q.W.detach().clone();
        var result = UnrolledHypergradient.Compose(q.Problem(new DifferentiableSgd(0.2)), [Operation.ConjugateGradient],
            new UnrolledOptions { InnerSteps = T, ImplicitSolver = new Hypergrad.Implicit.ConjugateGradient { Iterations = 50, Tolerance = 1e-12 } });
        using var _ = no_grad();
        var wT = q.Iterates(0.2, T)[^1];
        var expected = Quadratic.Mu * q.Lambda + q.B.t().mv(linalg.solve(q.H, wT - q.Target));
        Quadratic.AssertClose(expected, result["lambda"], 1e-9, "RAD-free CG at w_T");
        Assert.Equal(Method.ConjugateGradient, result.Method);
        // The solve converged, but w_T after 7 steps is no inner solution: the certificate says so.
        Assert.True(result.RelativeResidual <= 1e-12 && result.HessianVectorProducts > 0);
        Assert.Equal(HypergradientKind.Implicit, result.Kind);
        Assert.False(result.Converged, result.ToString());
        Assert.True(result.InnerStationarity > 1e-3, result.ToString());
        Assert.True(q.W.allclose(before, rtol: 0, atol: 0), "the inner variables were not restored");
        using var solved = UnrolledHypergradient.Compose(q.Problem(new DifferentiableSgd(0.2)), [Operation.ConjugateGradient],
            new UnrolledOptions { InnerSteps = 400, ImplicitSolver = new Hypergrad.Implicit.ConjugateGradient { Iterations = 50, Tolerance = 1e-12 } });
        Assert.True(solved.Converged && solved.InnerStationarity <= 1e-6, solved.ToString());

        var mismatch = Assert.Throws<HypergradException>(() => UnrolledHypergradient.Compose(q.Problem(new DifferentiableSgd(0.2)), [Operation.Neumann],
            new UnrolledOptions { InnerSteps = T, ImplicitSolver = new Hypergrad.Implicit.ConjugateGradient() }));
        Assert.Contains("Neumann", mismatch.Message);
    }
}
