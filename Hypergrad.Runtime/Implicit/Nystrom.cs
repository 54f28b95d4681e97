using System;
using TorchSharp;
using static TorchSharp.torch;

namespace Hypergrad.Implicit;

/// <summary>
/// Nyström approximation of (A + ρI)⁻¹ v from k = <see cref="Rank"/> rows of A: pick k coordinates
/// (seeded), C = A[idx, :] (k products with unit vectors), M = A[idx, idx], and
/// x = v/ρ − Cᵀ (M + CCᵀ/ρ)⁻¹ C v / ρ² (Woodbury on Cᵀ M⁻¹ C + ρI). Exact for k = P.
/// Assumes A symmetric (true for A = H). ρ = <see cref="ImplicitSolver.Rho"/> must be positive.
/// Iterations do not apply; the reported residual (one more product) is against A + ρI and is
/// compared with Tolerance (a low-rank approximation usually does not meet it: that is reported, not hidden).
/// </summary>
public sealed class Nystrom : ImplicitSolver
{
    /// <inheritdoc/>
    public override Method Method => Method.Nystrom;

    /// <summary>Number of Hessian rows k (capped at the number of inner values). Default 5.</summary>
    public int Rank { get; init; } = 5;

    /// <summary>Seed for choosing the coordinates; the same seed gives the same hypergradient. Default 0.</summary>
    public ulong Seed { get; init; }

    /// <summary>Creates the solver with ρ = 0.1 (Nyström needs ρ &gt; 0).</summary>
    public Nystrom() => Rho = 0.1;

    internal override System.Collections.Generic.IEnumerable<(OptionRule Rule, double Value)> OptionValues() =>
        System.Linq.Enumerable.Append(base.OptionValues(), (OptionRules.Rank, Rank));

    /// <inheritdoc/>
    public override LinearSolution Solve(LinearSystem system, Tensor v, Tensor? initial)
    {
        Validate();
        long k = Math.Min(Rank, system.Size);
        var index = randperm(system.Size, generator: new Generator(Seed)).narrow(0, 0, k).to(v.device);
        var unit = nn.functional.one_hot(index, system.Size).to(v.dtype);   // k unit vectors e_idx
        var rows = new Tensor[k];
        for (long i = 0; i < k; i++) rows[i] = system.Apply(unit[i]);
        var c = stack(rows);                                   // k × P
        var m = c.index_select(1, index);                      // k × k
        var core = m + c.mm(c.T) / Rho;
        var z = linalg.solve(core, c.mv(v) / (Rho * Rho));
        var x = v / Rho - c.T.mv(z);
        double residual = system.RelativeResidual(x, v, Rho);
        ThrowIfNotFinite(residual, "residual", 0);
        return new LinearSolution(x, 1, residual, residual <= Tolerance,
            residual <= 1 ? null : $"Nystrom: the rank-{k} approximation leaves a relative residual of {residual:G3} on (H + ρI) x = v; raise Rank or Rho, or use ConjugateGradient.");
    }
}
