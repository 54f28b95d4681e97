using TorchSharp;
using static TorchSharp.torch;

namespace Hypergrad.Implicit;

/// <summary>
/// The loop behind <see cref="Neumann"/> and <see cref="FixedPoint"/>: x ← x + α (v − A x) from x₀.
/// From x₀ = 0 the k-th iterate is α Σ_{j&lt;k} (I − αA)ʲ v, a truncated Neumann series; with α = 1 and
/// A = I − Jᵀ it is the fixed-point iteration x ← Jᵀx + v. The residual v − A x of each iterate is
/// the next update direction, so it comes with the product that the next update needs anyway.
/// </summary>
static class Richardson
{
    /// <summary>Runs at most <paramref name="updates"/> updates; one product per update (none for the first update from x₀ = 0).</summary>
    public static LinearSolution Run(ImplicitSolver solver, LinearSystem system, Tensor v, Tensor? initial, double alpha, long updates)
    {
        var x = ImplicitSolver.StartAt(v, initial);
        var r = initial is null ? v.clone() : v - system.Apply(x, solver.Rho);
        double vNorm = v.norm().ToDouble();
        double rNorm = initial is null ? vNorm : r.norm().ToDouble();
        int k = 0;
        for (; k < updates && rNorm > solver.Tolerance * vNorm; k++)
        {
            using var scope = NewDisposeScope();
            x.PlusScaled_(r, alpha);
            r.copy_(v).sub_(system.Apply(x, solver.Rho));
            rNorm = r.norm().ToDouble();
            solver.ThrowIfNotFinite(rNorm, "residual", k);
        }
        double relative = rNorm / vNorm;
        return new LinearSolution(x, k, relative, relative <= solver.Tolerance,
            relative > 1 ? $"{solver.Method}: the residual grew to {relative:G3}·‖v‖; the iteration diverges (A's spectrum is outside (0, 2/α), α = {alpha:G3}): lower Alpha (or leave it unset for the automatic 1/λ_max) or add Rho." : null,
            alpha);
    }
}
