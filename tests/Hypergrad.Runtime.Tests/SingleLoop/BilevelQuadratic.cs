using Hypergrad.Data;
using Hypergrad.Parameters;
using Hypergrad.Solving;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Hypergrad.Tests.SingleLoop;

/// <summary>
/// A strongly convex quadratic bilevel problem with a closed-form solution, as a finite dataset of minibatches:
/// batch i of g is gᵢ(w, λ) = ½wᵀ(H + Eᵢ)w − wᵀ(Bλ + c + eᵢ), batch j of F is Fⱼ(w, λ) = ½‖w − w_t − dⱼ‖² + ½μ‖λ‖², with
/// perturbations that sum to zero over the batches, so the mean objectives are the noiseless g and F (up to a constant).
/// Solution: w*(λ) = H⁻¹(Bλ + c), λ* solves (BᵀH⁻²B + μI) λ = BᵀH⁻¹(w_t − H⁻¹c).
/// </summary>
sealed class BilevelQuadratic
{
    public const int D = 6, M = 3;
    public const double Mu = 0.5;
    public readonly Tensor H, B, C, Target;
    readonly Tensor[] hNoise, cNoise, dNoise;
    public readonly Parameter W, Lambda;
    public readonly BilevelProblem<int, int> Problem;
    public readonly int InnerBatches, OuterBatches;

    /// <param name="innerBatches">Batches of g (1: the deterministic problem).</param>
    /// <param name="outerBatches">Batches of F.</param>
    /// <param name="noise">Size of the per-batch perturbations.</param>
    public BilevelQuadratic(HypergradientSettings settings, int innerBatches = 1, int outerBatches = 1, double noise = 0.3, int seed = 0)
    {
        InnerBatches = innerBatches;
        OuterBatches = outerBatches;
        var generator = new Generator((ulong)seed + 7);
        var r = randn(D, D, dtype: float64, generator: generator);
        H = r.T.mm(r) / D + 0.5 * eye(D, dtype: float64);
        B = randn(D, M, dtype: float64, generator: generator) / Math.Sqrt(D);
        C = randn(D, dtype: float64, generator: generator);
        Target = randn(D, dtype: float64, generator: generator);
        hNoise = Centered(innerBatches, () => { var e = randn(D, D, dtype: float64, generator: generator) * (noise / D); return e + e.T; });
        cNoise = Centered(innerBatches, () => randn(D, dtype: float64, generator: generator) * noise);
        dNoise = Centered(outerBatches, () => randn(D, dtype: float64, generator: generator) * noise);
        W = new Parameter(zeros(D, dtype: float64));
        Lambda = new Parameter(zeros(M, dtype: float64));
        Problem = new BilevelProblem<int, int>("BilevelQuadratic", settings,
            new ParameterSet(ParameterSource.FromTensor("W", W)), new ParameterSet(ParameterSource.FromTensor("Lambda", Lambda)),
            new Objective<int>("TrainLoss", InnerObjective), new Objective<int>("ValidationLoss", OuterObjective));
    }

    static Tensor[] Centered(int count, Func<Tensor> draw)
    {
        var draws = Enumerable.Range(0, count).Select(_ => draw()).ToArray();
        var mean = stack(draws).mean([0]);
        return draws.Select(d => count == 1 ? zeros_like(d) : d - mean).ToArray();
    }

    // The objectives pass TorchSharp only Scalars kept in static fields (no `+`, `-`, `0.5 * t` or pow(2), which convert
    // temporaries the GC can free while libtorch reads them: docs/reliability.md); these runs evaluate them ~10⁵ times.
    static readonly Scalar Half = 0.5.ToScalar(), HalfMu = (0.5 * Mu).ToScalar(), One = 1.ToScalar(), MinusOne = (-1).ToScalar();

    public Tensor InnerObjective(int i) =>
        W.dot(H.add(hNoise[i], One).mv(W)).mul(Half).add(W.dot(B.mv(Lambda).add(C, One).add(cNoise[i], One)), MinusOne);

    public Tensor OuterObjective(int j)
    {
        var d = W.add(Target, MinusOne).add(dNoise[j], MinusOne);
        return d.dot(d).mul(Half).add(Lambda.dot(Lambda).mul(HalfMu), One);
    }

    public FiniteBatches<int> Train(int seed = 0) => new(Enumerable.Range(0, InnerBatches).ToArray(), seed);

    public FiniteBatches<int> Validation(int seed = 1) => new(Enumerable.Range(0, OuterBatches).ToArray(), seed);

    /// <summary>w*(λ) = H⁻¹(Bλ + c).</summary>
    public Tensor InnerSolution(Tensor lambda) => linalg.solve(H, B.mv(lambda) + C);

    /// <summary>λ* of the bilevel problem.</summary>
    public Tensor OuterSolution()
    {
        var hInvB = linalg.solve(H, B);
        var system = hInvB.T.mm(hInvB) + Mu * eye(M, dtype: float64);
        return linalg.solve(system, hInvB.T.mv(Target - linalg.solve(H, C)));
    }

    /// <summary>
    /// The point BOME's iterates gather around (docs/methods.md): with y_T from T gradient steps of size η on g, its
    /// constraint's gradient is ∇q = (H e, −BᵀP e) for e = w − w*(λ) and P = I − (I − ηH)^T, so ∇F + μ∇q can vanish in the
    /// limit e → 0, μ → ∞ only where w = w*(λ) and ∇_λF + BᵀPH⁻¹∇_wF = 0: the hypergradient with H⁻¹ replaced by its
    /// T-term Neumann series PH⁻¹ = η Σ_{k&lt;T} (I − ηH)^k. Solves (BᵀPH⁻¹H⁻¹B + μI) λ = BᵀPH⁻¹(w_t − H⁻¹c).
    /// </summary>
    public Tensor TruncatedKktSolution(double eta, int steps)
    {
        var contraction = eye(D, dtype: float64) - eta * H;
        var series = zeros(D, D, dtype: float64);
        var power = eye(D, dtype: float64);
        for (int k = 0; k < steps; k++)
        {
            series += power;
            power = power.mm(contraction);
        }
        var sensitivity = B.T.mm(eta * series);   // BᵀPH⁻¹
        var system = sensitivity.mm(linalg.solve(H, B)) + Mu * eye(M, dtype: float64);
        return linalg.solve(system, sensitivity.mv(Target - linalg.solve(H, C)));
    }

    /// <summary>Φ(λ) = F(w*(λ), λ) (mean over the outer batches, up to a constant).</summary>
    public double Value(Tensor lambda)
    {
        var w = InnerSolution(lambda);
        return (0.5 * (w - Target).pow(2).sum() + 0.5 * Mu * lambda.pow(2).sum()).ToDouble();
    }

    /// <summary>∇Φ(λ) by central differences (step 1e-5: error ~1e-10 on these quadratics).</summary>
    public Tensor ValueGradientByDifferences(Tensor lambda, Func<Tensor, double>? value = null)
    {
        value ??= Value;
        const double h = 1e-5;
        var gradient = zeros(M, dtype: float64);
        for (int k = 0; k < M; k++)
        {
            var e = zeros(M, dtype: float64);
            e[k] = h;
            gradient[k] = (value(lambda + e) - value(lambda - e)) / (2 * h);
        }
        return gradient;
    }

    public static double RelativeError(Tensor actual, Tensor expected) => (actual - expected).norm().ToDouble() / expected.norm().ToDouble();
}
