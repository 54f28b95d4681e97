using System;
using TorchSharp;
using static TorchSharp.torch;

namespace Hypergrad.Implicit;

/// <summary>
/// Conjugate gradient on (A + ρI) x = v: A = H from an inner objective, or A = I − Jᵀ from a
/// fixed-point map (CG assumes A symmetric positive definite, as for a gradient-step map).
/// One product per iteration; stops after <see cref="ImplicitSolver.Iterations"/> iterations or when
/// ‖r‖ ≤ Tolerance·‖v‖, and returns that (converged) iterate.
/// </summary>
public sealed class ConjugateGradient : ImplicitSolver
{
    /// <inheritdoc/>
    public override Method Method => Method.ConjugateGradient;

    /// <inheritdoc/>
    public override LinearSolution Solve(LinearSystem system, Tensor v, Tensor? initial) =>
        Run(this, x => system.Apply(x, Rho), v, StartAt(v, initial), initial is not null);

    /// <summary>
    /// (Preconditioned) CG on apply(x) = b from x (updated in place). The residual is the recursive one, equal to
    /// b − apply(x) in exact arithmetic; the stopping rule is on its norm, with or without a preconditioner.
    /// </summary>
    internal static LinearSolution Run(ImplicitSolver solver, Func<Tensor, Tensor> apply, Tensor b, Tensor x, bool nonZeroStart,
        Func<Tensor, Tensor>? precondition = null)
    {
        var r = nonZeroStart ? b - apply(x) : b.clone();
        var z = precondition is null ? r : precondition(r);
        var p = z.clone();
        double bNorm = b.norm().ToDouble();
        double rz = r.dot(z).ToDouble();
        double rNorm = precondition is null ? Math.Sqrt(rz) : r.norm().ToDouble();
        string? warning = null;
        int k = 0;
        for (; k < solver.Iterations && rNorm > solver.Tolerance * bNorm; k++)
        {
            using var scope = NewDisposeScope();
            var ap = apply(p);
            double pap = p.dot(ap).ToDouble();
            solver.ThrowIfNotFinite(pap, "curvature pᵀAp", k);
            if (pap <= 0)
            {
                warning = $"{solver.Method} stopped at iteration {k}: pᵀAp = {pap:G3} ≤ 0, the system is not positive definite here; add Rho or use ConjugateGradientNormal.";
                break;
            }
            double alpha = rz / pap;
            x.PlusScaled_(p, alpha);
            r.PlusScaled_(ap, -alpha);
            if (precondition is null)
            {
                double rrNext = r.dot(r).ToDouble();
                solver.ThrowIfNotFinite(rrNext, "residual", k);
                p.Scale_(rrNext / rz).Plus_(r);
                (rz, rNorm) = (rrNext, Math.Sqrt(rrNext));
            }
            else
            {
                rNorm = r.norm().ToDouble();
                solver.ThrowIfNotFinite(rNorm, "residual", k);
                var zNext = precondition(r);
                double rzNext = r.dot(zNext).ToDouble();
                p.Scale_(rzNext / rz).Plus_(zNext);
                rz = rzNext;
            }
        }
        double relative = rNorm / bNorm;
        return new LinearSolution(x, k, relative, relative <= solver.Tolerance, warning);
    }
}
