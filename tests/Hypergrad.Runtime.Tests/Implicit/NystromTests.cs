using Hypergrad.Implicit;
using Hypergrad.Parameters;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace Hypergrad.Tests.Implicit;

/// <summary>
/// The stable Nyström approximation (both sketches), the Nyström-preconditioned CG and its sketch reuse, against
/// closed forms: dF/dλ = Bᵀ (H + ρI)⁻¹ (w − w_t) + μλ for g = ½wᵀHw − wᵀ(Bλ + c).
/// </summary>
public class NystromTests
{
    static HypergradientResult Solve(Quadratic q, ImplicitSolver solver) =>
        new ImplicitHypergradient(q.Inner, q.Outer, solver).Compute(q.InnerObjective, q.OuterObjective);

    public static TheoryData<NystromSampling, double> FullRankCases()
    {
        var data = new TheoryData<NystromSampling, double>();
        foreach (var sampling in new[] { NystromSampling.Columns, NystromSampling.Gaussian })
            foreach (var rho in new[] { 1, 1e-3, 1e-6, 1e-9, 1e-12 })
                data.Add(sampling, rho);
        return data;
    }

    [Theory]
    [MemberData(nameof(FullRankCases))]
    public void Full_rank_Nystrom_equals_the_damped_exact_solve(NystromSampling sampling, double rho)
    {
        var q = new Quadratic(seed: 3);
        using var nystrom = Solve(q, new Nystrom { Rank = Quadratic.D, Rho = rho, Sampling = sampling, Tolerance = 1e-9 });
        using var exact = Solve(q, new Exact { Damping = rho });
        Assert.True(Quadratic.RelativeError(nystrom["Lambda"], exact["Lambda"]) <= 1e-10,
            $"{sampling}, ρ = {rho}: {Quadratic.RelativeError(nystrom["Lambda"], exact["Lambda"]):G3}");
        Assert.True(Quadratic.RelativeError(nystrom["Lambda"], q.Expected(rho)) <= 1e-10);
        Assert.True(nystrom.Converged, nystrom.ToString());
        Assert.Empty(nystrom.Warnings);
        Assert.Equal(Quadratic.D + 1, nystrom.HessianVectorProducts);   // k products, plus one for the residual
    }

    [Theory]
    [InlineData(NystromSampling.Columns)]
    [InlineData(NystromSampling.Gaussian)]
    public void Low_rank_Nystrom_is_repeatable_per_seed_and_reports_its_residual(NystromSampling sampling)
    {
        var q = new Quadratic();
        using var a = Solve(q, new Nystrom { Rank = 4, Rho = 0.1, Seed = 7, Sampling = sampling });
        using var b = Solve(q, new Nystrom { Rank = 4, Rho = 0.1, Seed = 7, Sampling = sampling });
        using var other = Solve(q, new Nystrom { Rank = 4, Rho = 0.1, Seed = 8, Sampling = sampling });
        Assert.Equal(a["Lambda"].data<double>().ToArray(), b["Lambda"].data<double>().ToArray());
        Assert.NotEqual(a["Lambda"].data<double>().ToArray(), other["Lambda"].data<double>().ToArray());
        Assert.False(a.Converged);                         // a rank-4 approximation of a rank-10 H does not reach 1e-6
        Assert.True(a.RelativeResidual > 1e-6);
        Assert.Equal(a.RelativeResidual > 1, a.Warnings.Any(w => w.Contains("raise Rank or Rho")));
    }

    [Fact]
    public void A_singular_Hessian_is_reported_and_still_solved_exactly_at_full_rank()
    {
        // H = diag(3, 2, 1, 0, 0): singular. (H + ρI)⁻¹ exists; the null space is taken care of by the ρ term.
        var q = new SpectrumQuadratic(new[] { 3.0, 2, 1, 0, 0 });
        foreach (var sampling in new[] { NystromSampling.Columns, NystromSampling.Gaussian })
        {
            using var result = q.Solve(new Nystrom { Rank = 5, Rho = 1e-3, Sampling = sampling });
            Assert.Contains(result.Warnings, w => w.Contains("singular"));
            Assert.True(Quadratic.RelativeError(result["Lambda"], q.Expected(1e-3)) < 1e-8, result.ToString());
        }
        using var pcg = q.Solve(new NystromConjugateGradient { Rank = 5, Damping = 1e-3, Tolerance = 1e-10 });
        Assert.Contains(pcg.Warnings, w => w.Contains("singular"));
        Assert.True(pcg.Converged);
        Assert.True(Quadratic.RelativeError(pcg["Lambda"], q.Expected(1e-3)) < 1e-6);
    }

    [Fact]
    public void An_indefinite_Hessian_is_clipped_and_reported_not_a_native_exception()
    {
        var q = new SpectrumQuadratic(new[] { 3.0, 2, 1, -0.5, -2 });
        foreach (var sampling in new[] { NystromSampling.Columns, NystromSampling.Gaussian })
        {
            using var result = q.Solve(new Nystrom { Rank = 5, Rho = 0.1, Sampling = sampling });
            Assert.Contains(result.Warnings, w => w.Contains("indefinite"));
            Assert.True(result["Lambda"].isfinite().all().ToBoolean());
            // Clipped: the approximation is (H₊ + ρI)⁻¹, with H₊ = diag(3, 2, 1, 0, 0) in H's eigenbasis.
            Assert.True(Quadratic.RelativeError(result["Lambda"], q.ExpectedClipped(0.1)) < 1e-8);
        }
        using var pcg = q.Solve(new NystromConjugateGradient { Rank = 5, Damping = 0.1 });
        Assert.Contains(pcg.Warnings, w => w.Contains("indefinite"));
    }

    [Fact]
    public void Nystrom_preconditioned_CG_matches_CG_to_its_tolerance_with_fewer_iterations_on_a_decaying_spectrum()
    {
        // Eigenvalues 1000, 300, 100, 30, 10, then 20 between 1 and 2: a rank-5 sketch captures the large ones.
        var spectrum = new[] { 1000.0, 300, 100, 30, 10 }.Concat(Enumerable.Range(0, 20).Select(i => 1 + i / 20.0)).ToArray();
        var q = new SpectrumQuadratic(spectrum);
        using var cg = q.Solve(new ConjugateGradient { Iterations = 200, Tolerance = 1e-10 });
        using var pcg = q.Solve(new NystromConjugateGradient { Rank = 5, Iterations = 200, Tolerance = 1e-10 });
        Assert.True(cg.Converged && pcg.Converged, pcg.ToString());
        Assert.True(pcg.RelativeResidual <= 1e-10);
        Assert.True(Quadratic.RelativeError(pcg["Lambda"], q.Expected()) < 1e-8);
        Assert.True(Quadratic.RelativeError(pcg["Lambda"], cg["Lambda"]) < 1e-8);
        Assert.True(pcg.Iterations < cg.Iterations, $"PCG {pcg.Iterations} vs CG {cg.Iterations} iterations");
        Assert.Equal(5 + pcg.Iterations, pcg.HessianVectorProducts);      // the sketch's products are counted
        Assert.Equal(Method.NystromConjugateGradient, pcg.Method);
    }

    [Fact]
    public void The_sketch_is_reused_across_solves_and_refreshed_every_RefreshInterval_solves()
    {
        var q = new SpectrumQuadratic(new[] { 1000.0, 300, 100, 30, 10, 1, 1.5, 2 });
        var solver = new NystromConjugateGradient { Rank = 4, RefreshInterval = 3, Tolerance = 1e-10 };
        var engine = new ImplicitHypergradient(q.Inner, q.Outer, solver);
        var products = new List<int>();
        for (int i = 0; i < 4; i++)
        {
            using var result = engine.Compute(q.InnerObjective, q.OuterObjective);
            Assert.True(Quadratic.RelativeError(result["Lambda"], q.Expected()) < 1e-8);
            products.Add(result.HessianVectorProducts - result.Iterations);
        }
        Assert.Equal(new[] { 4, 0, 0, 4 }, products);                      // built, reused twice, rebuilt
        Assert.Equal(2, solver.SketchesBuilt);
    }

    [Fact]
    public void Rank_and_refresh_interval_below_one_are_refused_by_name()
    {
        var q = new Quadratic();
        var rank = Assert.Throws<HypergradException>(() => Solve(q, new NystromConjugateGradient { Rank = 0 }));
        Assert.Contains("Rank", rank.Message);
        var refresh = Assert.Throws<HypergradException>(() => Solve(q, new NystromConjugateGradient { RefreshInterval = 0 }));
        Assert.Contains("RefreshInterval", refresh.Message);
    }
}

/// <summary>
/// g = ½wᵀHw − wᵀ(Bλ + c) with H = Q diag(spectrum) Qᵀ (Q a seeded rotation), F = ½‖w − w_t‖² + ½μ‖λ‖²; w is any
/// point (the formulas hold at every w for the implicit solve of this quadratic).
/// </summary>
sealed class SpectrumQuadratic
{
    const int M = 3;
    readonly Tensor h, q, spectrum, b, c, target;
    public readonly Parameter W, Lambda;
    public readonly ParameterSet Inner, Outer;

    public SpectrumQuadratic(double[] eigenvalues, int seed = 1)
    {
        int d = eigenvalues.Length;
        var generator = new Generator((ulong)seed);
        (q, _) = linalg.qr(randn(d, d, dtype: float64, generator: generator));
        spectrum = tensor(eigenvalues, dtype: float64);
        h = q.mm(diag(spectrum)).mm(q.T);
        h = (h + h.T) / 2;
        b = randn(d, M, dtype: float64, generator: generator);
        c = randn(d, dtype: float64, generator: generator);
        target = randn(d, dtype: float64, generator: generator);
        Lambda = new Parameter(randn(M, dtype: float64, generator: generator));
        W = new Parameter(randn(d, dtype: float64, generator: generator));
        Inner = new ParameterSet(("W", W));
        Outer = new ParameterSet(("Lambda", Lambda));
    }

    public Tensor InnerObjective() => 0.5 * W.dot(h.mv(W)) - W.dot(b.mv(Lambda) + c);

    public Tensor OuterObjective() => 0.5 * (W - target).pow(2).sum() + 0.5 * Quadratic.Mu * Lambda.pow(2).sum();

    public HypergradientResult Solve(ImplicitSolver solver) =>
        new ImplicitHypergradient(Inner, Outer, solver).Compute(InnerObjective, OuterObjective);

    /// <summary>Bᵀ (H + ρI)⁻¹ (w − w_t) + μλ.</summary>
    public Tensor Expected(double rho = 0) => Through(spectrum, rho);

    /// <summary>The same with H's negative eigenvalues set to 0.</summary>
    public Tensor ExpectedClipped(double rho) => Through(spectrum.clamp_min(0), rho);

    Tensor Through(Tensor eigenvalues, double rho)
    {
        var inverse = q.mm(diag(1 / (eigenvalues + rho))).mm(q.T);
        return b.T.mv(inverse.mv(W.detach() - target)) + Quadratic.Mu * Lambda.detach();
    }
}
