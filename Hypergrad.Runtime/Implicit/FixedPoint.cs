using static TorchSharp.torch;

namespace Hypergrad.Implicit;

/// <summary>
/// Fixed-point iteration x ← Jᵀx + v from x = 0 (or a warm start), <see cref="ImplicitSolver.Iterations"/>
/// times: for a fixed-point map Φ it solves (I − Jᵀ) x = v and converges when Φ is a contraction.
/// On an inner objective it is x ← x + α(v − Hx), the Neumann series with step α: without <see cref="Alpha"/>,
/// α = 1/λ̂_max from a few power iterations (products counted, α reported in <see cref="HypergradientResult.StepSize"/>),
/// since α = 1 diverges whenever λ_max(H) &gt; 2. On a fixed-point map the default is α = 1 (the plain iteration).
/// One product per iteration; stops early at <see cref="ImplicitSolver.Tolerance"/>.
/// </summary>
public sealed class FixedPoint : ImplicitSolver
{
    /// <inheritdoc/>
    public override Method Method => Method.FixedPoint;

    /// <summary>Step α of x ← x + α(v − Ax). Default null: 1 on a fixed-point map, 1/λ̂_max (power iteration) on an inner objective.</summary>
    public double? Alpha { get; init; }

    /// <inheritdoc/>
    public override LinearSolution Solve(LinearSystem system, Tensor v, Tensor? initial) =>
        Richardson.Run(this, system, v, initial, Alpha ?? (system.IsFixedPointMap ? 1.0 : StepSize.Estimate(this, system, v)), Iterations);
}
