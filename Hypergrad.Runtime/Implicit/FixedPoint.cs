using static TorchSharp.torch;

namespace Hypergrad.Implicit;

/// <summary>
/// Fixed-point iteration x ← Jᵀx + v from x = 0 (or a warm start), <see cref="ImplicitSolver.Iterations"/>
/// times: for a fixed-point map Φ it solves (I − Jᵀ) x = v and converges when Φ is a contraction.
/// On an inner objective it is x ← x + (v − Hx), the Neumann series with α = 1.
/// One product per iteration; stops early at <see cref="ImplicitSolver.Tolerance"/>.
/// </summary>
public sealed class FixedPoint : ImplicitSolver
{
    /// <inheritdoc/>
    public override Method Method => Method.FixedPoint;

    /// <inheritdoc/>
    public override LinearSolution Solve(LinearSystem system, Tensor v, Tensor? initial) =>
        Richardson.Run(this, system, v, initial, alpha: 1.0, Iterations);
}
