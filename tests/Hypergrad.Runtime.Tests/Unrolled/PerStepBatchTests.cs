using Hypergrad.Implicit;
using Hypergrad.Optimizers;
using Hypergrad.Unrolled;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Hypergrad.Tests.Unrolled;

/// <summary>
/// Stochastic inner steps: the quadratic of closed-form check 5 (docs/methods.md) with a batch per step, g_t = ½wᵀHw − wᵀ(B_tλ + c_t)
/// (float64). Every iterative method and composition against a hand-written unroll over the same batches; each step
/// draws its batch once, and recompute walks back over the recorded batches.
/// </summary>
public class PerStepBatchTests
{
    const double Eta = 0.5;
    const int T = 7;

    /// <summary>The quadratic with T batches (B_t, c_t), and a per-step objective that draws them in order and counts the draws.</summary>
    sealed class SteppedQuadratic
    {
        public readonly Quadratic Q;
        public readonly (Tensor B, Tensor C)[] Batches;
        public readonly Tensor W0;       // w₀ (the engine may move Q.W to the final iterate)
        public readonly double Eta;      // the SGD step of the hand-written unroll
        public int Draws;

        public SteppedQuadratic(Tensor? w0 = null, Tensor? h = null, double eta = PerStepBatchTests.Eta, int batches = T)
        {
            Q = new Quadratic(w0, h: h);
            W0 = Q.W.detach().clone();
            Eta = eta;
            var generator = new Generator(41);
            Batches = Enumerable.Range(0, batches)
                .Select(_ => (Q.B + 0.5 * randn(Quadratic.D, Quadratic.M, float64, generator: generator), randn(Quadratic.D, float64, generator: generator)))
                .ToArray();
        }

        /// <summary>g_t on batch t; asserts that the engine asks for the steps in order, each once.</summary>
        public Func<Tensor> ObjectiveOfStep(int step)
        {
            Assert.Equal(Draws, step);
            var (b, c) = Batches[Draws++];
            return () => 0.5 * Q.W.dot(Q.H.mv(Q.W)) - Q.W.dot(b.mv(Q.Lambda) + c);
        }

        public UnrolledProblem Problem(DifferentiableOptimizer optimizer, bool withOuter = true) =>
            new(Q.Inner, withOuter ? Q.Outer : null, ObjectiveOfStep, Q.OuterObjective, optimizer);

        /// <summary>α_t of GDA (0 without it).</summary>
        static double Alpha(double alpha0, double decay, int t) => alpha0 * Math.Pow(decay, t);

        /// <summary>Hand-written SGD over the batches: w_{t+1} = w_t − η[α_t(w_t − w_target) + (1 − α_t)(Hw_t − B_tλ − c_t)].</summary>
        public Tensor[] Iterates(Tensor lambda, int steps, double alpha0 = 0, double decay = 1)
        {
            using var _ = no_grad();
            var w = W0.clone();
            var list = new List<Tensor> { w };
            for (int t = 0; t < steps; t++)
            {
                double a = Alpha(alpha0, decay, t);
                var (b, c) = Batches[t];
                list.Add(w = w - Eta * (a * (w - Q.Target) + (1 - a) * (Q.H.mv(w) - b.mv(lambda) - c)));
            }
            return list.ToArray();
        }

        /// <summary>
        /// dF(w_n)/dλ through steps first … n − 1, by the chain rule written out: with J_t = I − η(α_t I + (1 − α_t)H)
        /// (symmetric) and ∂w_{t+1}/∂λ = η(1 − α_t)B_t, it is μλ + Σ_t η(1 − α_t) B_tᵀ J_{t+1} ⋯ J_{n−1} (w_n − w_target).
        /// </summary>
        public Tensor Gradient(int n, int first = 0, double alpha0 = 0, double decay = 1)
        {
            using var _ = no_grad();
            var lambda = Q.Lambda.detach();
            var adjoint = Iterates(lambda, n, alpha0, decay)[n] - Q.Target;
            var gradient = Quadratic.Mu * lambda.clone();
            for (int t = n - 1; t >= first; t--)
            {
                double a = Alpha(alpha0, decay, t);
                gradient += Eta * (1 - a) * Batches[t].B.t().mv(adjoint);
                adjoint = adjoint - Eta * (a * adjoint + (1 - a) * Q.H.mv(adjoint));
            }
            return gradient;
        }

        /// <summary>Central differences of λ ↦ F(w_T(λ)) over the hand-written unroll (exact up to rounding: F is quadratic in λ).</summary>
        public Tensor FiniteDifferenceGradient(int steps)
        {
            using var _ = no_grad();
            var lambda = Q.Lambda.detach().clone();
            double F(Tensor l) => (0.5 * (Iterates(l, steps)[^1] - Q.Target).pow(2).sum() + 0.5 * Quadratic.Mu * l.pow(2).sum()).item<double>();
            var numeric = zeros(Quadratic.M, float64);
            for (int i = 0; i < Quadratic.M; i++)
            {
                var e = zeros(Quadratic.M, float64); e[i] = 1e-5;
                numeric[i] = (F(lambda + e) - F(lambda - e)) / 2e-5;
            }
            return numeric;
        }
    }

    [Fact]
    public void ReverseUnroll_over_a_batch_per_step_matches_the_hand_written_unroll()
    {
        var s = new SteppedQuadratic();
        var result = UnrolledHypergradient.Compute(s.Problem(new DifferentiableSgd(Eta)), Method.ReverseUnroll, new UnrolledOptions { InnerSteps = T, CopyFinalIterate = true });

        Assert.Equal(T, s.Draws);
        Quadratic.AssertClose(s.Gradient(T), result["lambda"], 1e-10, "RAD vs chain rule");
        Quadratic.AssertClose(s.FiniteDifferenceGradient(T), result["lambda"], 1e-7, "RAD vs central differences");
        Quadratic.AssertClose(s.Iterates(s.Q.Lambda.detach(), T)[^1], s.Q.W, 1e-12, "final iterate");

        // The batches matter: one batch for every step (the old behaviour) is a different number.
        var single = new SteppedQuadratic();
        var (b0, c0) = single.Batches[0];
        var oneBatch = UnrolledHypergradient.Compute(new UnrolledProblem(single.Q.Inner, single.Q.Outer,
            () => 0.5 * single.Q.W.dot(single.Q.H.mv(single.Q.W)) - single.Q.W.dot(b0.mv(single.Q.Lambda) + c0), single.Q.OuterObjective, new DifferentiableSgd(Eta)),
            Method.ReverseUnroll, new UnrolledOptions { InnerSteps = T });
        Assert.True((oneBatch["lambda"] - result["lambda"]).norm().item<double>() > 1e-2, "per-step batches gave the single-batch answer");
    }

    [Fact]
    public void ReverseRecompute_walks_back_over_the_recorded_batches()
    {
        foreach (var make in new Func<DifferentiableOptimizer>[] { () => new DifferentiableSgd(Eta), () => new DifferentiableSgd(0.2, momentum: 0.6, nesterov: true), () => new DifferentiableAdam(0.05, epsRoot: 1e-12) })
        {
            var w0 = full(Quadratic.D, 0.3, float64);
            var forUnroll = new SteppedQuadratic(w0);
            var forRecompute = new SteppedQuadratic(w0);
            var options = new UnrolledOptions { InnerSteps = T };
            var unrolled = UnrolledHypergradient.Compute(forUnroll.Problem(make()), Method.ReverseUnroll, options);
            var recomputed = UnrolledHypergradient.Compute(forRecompute.Problem(make()), Method.ReverseRecompute, options);
            Assert.Equal(T, forRecompute.Draws);   // each batch drawn once, reused on the way back
            Quadratic.AssertClose(unrolled["lambda"], recomputed["lambda"], 1e-12, $"recompute vs unroll with {make().GetType().Name}");
        }
        var plain = new SteppedQuadratic();
        Quadratic.AssertClose(plain.Gradient(T),
            UnrolledHypergradient.Compute(plain.Problem(new DifferentiableSgd(Eta)), Method.ReverseRecompute, new UnrolledOptions { InnerSteps = T })["lambda"], 1e-10, "recompute vs chain rule");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public void TruncatedUnroll_differentiates_the_last_steps_on_their_own_batches(int k)
    {
        var s = new SteppedQuadratic();
        var result = UnrolledHypergradient.Compute(s.Problem(new DifferentiableSgd(Eta)), Method.TruncatedUnroll, new UnrolledOptions { InnerSteps = T, TruncationSteps = k });
        Assert.Equal(T, s.Draws);
        Quadratic.AssertClose(s.Gradient(T, first: T - k), result["lambda"], 1e-10, $"RGT K={k}");
    }

    [Fact]
    public void PessimisticTrajectoryTruncation_selects_the_worst_iterate_of_the_stochastic_trajectory()
    {
        // ηλ ∈ [1.35, 1.8] for every eigenvalue of H: the iterates oscillate, F peaks before the last one.
        var s = new SteppedQuadratic(h: diag(linspace(3, 4, Quadratic.D, dtype: float64)), eta: 0.45);
        var iterates = s.Iterates(s.Q.Lambda.detach(), T);
        var losses = Enumerable.Range(1, T).Select(t => 0.5 * (iterates[t] - s.Q.Target).pow(2).sum().item<double>()).ToList();
        int worst = 1 + losses.IndexOf(losses.Max());
        Assert.True(worst < T, $"the worst iterate is the last one ({worst}), so PTT would equal ReverseUnroll and prove nothing");
        var result = UnrolledHypergradient.Compose(s.Problem(new DifferentiableSgd(0.45)), [Operation.PessimisticTrajectoryTruncation, Operation.ReverseUnroll], new UnrolledOptions { InnerSteps = T });
        Quadratic.AssertClose(s.Gradient(worst), result["lambda"], 1e-10, $"PTT (worst iterate {worst})");
    }

    [Fact]
    public void FirstOrder_and_InitializationUnroll_see_the_stochastic_final_iterate()
    {
        var w0 = linspace(-1, 1, Quadratic.D, dtype: float64);
        var maml = new SteppedQuadratic(w0);
        var iad = UnrolledHypergradient.Compose(maml.Problem(new DifferentiableSgd(Eta), withOuter: false), [Operation.InitializationUnroll], new UnrolledOptions { InnerSteps = T });
        var firstOrder = new SteppedQuadratic(w0);
        var foa = UnrolledHypergradient.Compose(firstOrder.Problem(new DifferentiableSgd(Eta), withOuter: false), [Operation.FirstOrder, Operation.InitializationUnroll], new UnrolledOptions { InnerSteps = T });

        using var _ = no_grad();
        var residual = maml.Iterates(maml.Q.Lambda, T)[^1] - maml.Q.Target;
        var m = eye(Quadratic.D, dtype: float64) - Eta * maml.Q.H;
        Quadratic.AssertClose(m.matrix_power(T).mv(residual), iad["w"], 1e-10, "IAD");
        Quadratic.AssertClose(residual, foa["w"], 1e-12, "FOA + IAD");
        Assert.Equal(T, maml.Draws);
        Assert.Equal(T, firstOrder.Draws);
    }

    [Fact]
    public void DynamicInitialization_and_aggregation_use_every_steps_batch()
    {
        const double alpha0 = 0.6, decay = 0.8;
        var s = new SteppedQuadratic(linspace(-1, 1, Quadratic.D, dtype: float64));
        var gda = UnrolledHypergradient.Compose(s.Problem(new DifferentiableSgd(Eta)), [Operation.GradientDescentAggregation, Operation.ReverseUnroll],
            new UnrolledOptions { InnerSteps = T, AggregationAlpha = alpha0, AggregationDecay = decay });
        Quadratic.AssertClose(s.Gradient(T, alpha0: alpha0, decay: decay), gda["lambda"], 1e-10, "GDA + RAD");

        var di = new SteppedQuadratic(linspace(-1, 1, Quadratic.D, dtype: float64));
        var result = UnrolledHypergradient.Compose(di.Problem(new DifferentiableSgd(Eta)), [Operation.DynamicInitialization, Operation.ReverseUnroll], new UnrolledOptions { InnerSteps = T });
        Quadratic.AssertClose(di.Gradient(T), result["lambda"], 1e-10, "DI + RAD, outer");
        using var _ = no_grad();
        var m = eye(Quadratic.D, dtype: float64) - Eta * di.Q.H;
        Quadratic.AssertClose(m.matrix_power(T).mv(di.Iterates(di.Q.Lambda, T)[^1] - di.Q.Target), result["w"], 1e-10, "DI + RAD, initialization");
    }

    [Fact]
    public void FiniteDifference_GradientAlignment_and_CG_use_the_last_steps_batch()
    {
        var fd = new SteppedQuadratic();
        var fdResult = UnrolledHypergradient.Compute(fd.Problem(new DifferentiableSgd(Eta)), Method.FiniteDifference, new UnrolledOptions { InnerSteps = T });
        // ∇_λg_{T−1} = −B_{T−1}ᵀw is linear in w: FD is exactly the last step's unrolled gradient.
        Quadratic.AssertClose(fd.Gradient(T, first: T - 1), fdResult["lambda"], 1e-8, "FD");
        Assert.Equal(T, fd.Draws);

        var iga = new SteppedQuadratic();
        var igaResult = UnrolledHypergradient.Compute(iga.Problem(new DifferentiableSgd(Eta)), Method.GradientAlignment, new UnrolledOptions { InnerSteps = T });
        var cg = new SteppedQuadratic();
        var cgResult = UnrolledHypergradient.Compose(cg.Problem(new DifferentiableSgd(Eta)), [Operation.ConjugateGradient],
            new UnrolledOptions { InnerSteps = T, ImplicitSolver = new ConjugateGradient { Iterations = 50, Tolerance = 1e-12 } });
        Assert.Equal(T, iga.Draws);
        Assert.Equal(T, cg.Draws);

        using var _ = no_grad();
        var lambda = iga.Q.Lambda;
        var wT = iga.Iterates(lambda, T)[^1];
        var (b, c) = iga.Batches[T - 1];
        var dF = wT - iga.Q.Target;
        var dg = iga.Q.H.mv(wT) - b.mv(lambda) - c;
        double alignment = dF.dot(dg).item<double>() / dg.dot(dg).item<double>();
        // ∇_λF = μλ, ∇_λg_{T−1} = −B_{T−1}ᵀ w_T.
        Quadratic.AssertClose(Quadratic.Mu * lambda + alignment * b.t().mv(wT), igaResult["lambda"], 1e-10, "IGA");
        Quadratic.AssertClose(Quadratic.Mu * lambda + b.t().mv(linalg.solve(iga.Q.H, dF)), cgResult["lambda"], 1e-9, "CG at w_T with g_{T−1}");
    }

    [Fact]
    public void DualMultiplier_takes_its_kth_inner_step_on_the_kth_objective()
    {
        var s = new SteppedQuadratic(linspace(-1, 1, Quadratic.D, dtype: float64));
        using var dm = new DualMultiplierHypergradient(s.Problem(new DifferentiableSgd(Eta)), [Operation.DualMultiplier, Operation.ConjugateGradient]);
        using var first = dm.Compute();
        using var second = dm.Compute();
        Assert.Equal(2, s.Draws);
        // Two in-place SGD steps, on batch 0 and then batch 1.
        Quadratic.AssertClose(s.Iterates(s.Q.Lambda.detach(), 2)[^1], s.Q.W, 1e-12, "inner variables after two DM steps");
        Quadratic.AssertClose(Quadratic.Mu * s.Q.Lambda, first["lambda"], 1e-12, "first DM hypergradient (multiplier 0)");
    }

    [Fact]
    public void A_null_objective_for_a_step_is_a_clear_error()
    {
        var q = new Quadratic();
        var problem = new UnrolledProblem(q.Inner, q.Outer, step => step < 3 ? q.InnerObjective : null!, q.OuterObjective, new DifferentiableSgd(Eta));
        var error = Assert.Throws<HypergradException>(() => UnrolledHypergradient.Compute(problem, Method.ReverseUnroll, new UnrolledOptions { InnerSteps = T }));
        Assert.Contains("step 3", error.Message);
        Assert.Equal(0.0, q.W.detach().abs().max().item<double>());
    }
}
