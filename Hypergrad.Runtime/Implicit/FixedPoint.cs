using static TorchSharp.torch;

namespace Hypergrad.Implicit;

/// <summary>
/// Fixed-point iteration x ← Jᵀx + v from x = 0 (or a warm start), <see cref="ImplicitSolver.Iterations"/>
/// times: for a fixed-point map Φ it solves (I − Jᵀ) x = v and converges when Φ is a contraction.
/// On an inner objective it is x ← x + α(v − Hx), the Neumann series with step <see cref="Alpha"/>; with α &lt; 1 on
/// a map, the damped iteration x ← (1 − α)x + α(Jᵀx + v).
/// One product per iteration; stops early at <see cref="ImplicitSolver.Tolerance"/>.
/// </summary>
public sealed class FixedPoint : ImplicitSolver
{
    /// <inheritdoc/>
    public override Method Method => Method.FixedPoint;

    /// <summary>The step α of x ← x + α(v − Ax) (must be below 2/λ_max(A)). Default 1.</summary>
    public double Alpha { get; init; } = 1.0;

    internal override System.Collections.Generic.IEnumerable<(OptionRule Rule, double Value)> OptionValues() =>
        System.Linq.Enumerable.Append(base.OptionValues(), (OptionRules.Alpha, Alpha));

    /// <inheritdoc/>
    public override LinearSolution Solve(LinearSystem system, Tensor v, Tensor? initial) =>
        Richardson.Run(this, system, v, initial, Alpha, Iterations);
}
