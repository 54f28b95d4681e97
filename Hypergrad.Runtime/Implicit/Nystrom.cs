using System;
using static TorchSharp.torch;

namespace Hypergrad.Implicit;

/// <summary>
/// Nyström approximation of (A + ρI)⁻¹ v from k = <see cref="Rank"/> products with A: a rank-k sketch
/// Ĥ = U diag(Λ) Uᵀ of A (<see cref="NystromSketch"/>: column sampling or Gaussian test vectors, eigenvalues
/// clipped at 0), then x = U (Λ + ρ)⁻¹ Uᵀv + (v − UUᵀv)/ρ. Exact (to rounding) at full rank k = P for any ρ &gt; 0,
/// since the complement term then vanishes and is not computed. Assumes A symmetric (true for A = H).
/// ρ = <see cref="Rho"/> (the same as Damping) must be positive. Iterations do not apply; the reported residual
/// (one more product) is against A + ρI and is compared with Tolerance: a low-rank approximation usually does not
/// meet it, and that is reported, not hidden. An indefinite or singular sketched Hessian is clipped and reported in
/// the warnings.
/// </summary>
public sealed class Nystrom : ImplicitSolver
{
    /// <inheritdoc/>
    public override Method Method => Method.Nystrom;

    /// <summary>Number of products k (Hessian columns or Gaussian test vectors; capped at the number of inner values). Default 5.</summary>
    public int Rank { get; init; } = 5;

    /// <summary>The ridge ρ &gt; 0 of (A + ρI)⁻¹; the same setting as <see cref="ImplicitSolver.Damping"/>. Default 0.1.</summary>
    public double Rho { get => Damping; init => Damping = value; }

    /// <summary>Seed of the test vectors; the same seed gives the same hypergradient. Default 0.</summary>
    public ulong Seed { get; init; }

    /// <summary>How the test vectors are chosen. Default <see cref="NystromSampling.Columns"/>.</summary>
    public NystromSampling Sampling { get; init; }

    /// <summary>Creates the solver with ρ = 0.1.</summary>
    public Nystrom() => Damping = 0.1;

    /// <inheritdoc/>
    public override LinearSolution Solve(LinearSystem system, Tensor v, Tensor? initial)
    {
        if (!(Rho > 0) || double.IsInfinity(Rho))
            throw new HypergradException($"Nystrom needs Rho > 0 (got {Rho}); it approximates (H + ρI)⁻¹. Use e.g. Rho = 0.1, or Exact for an undamped solve.");
        if (Rank < 1)
            throw new HypergradException($"Nystrom needs Rank ≥ 1 (got {Rank}).");
        using var sketch = NystromSketch.Build(system, v, Rank, Sampling, Seed, Method);
        var x = sketch.Inverse(v, Rho);
        double residual = system.RelativeResidual(x, v, Rho);
        ThrowIfNotFinite(residual, "residual", 0);
        var warnings = new System.Collections.Generic.List<string>(sketch.Warnings);
        if (residual > 1)
            warnings.Add($"Nystrom: the rank-{sketch.Rank} approximation leaves a relative residual of {residual:G3} on (H + ρI) x = v; raise Rank or Rho, or use NystromConjugateGradient.");
        return new LinearSolution(x, 1, residual, residual <= Tolerance, Join(warnings));
    }

    internal static string? Join(System.Collections.Generic.IReadOnlyList<string> warnings) =>
        warnings.Count == 0 ? null : string.Join(" ", warnings);
}
