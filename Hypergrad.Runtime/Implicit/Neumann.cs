using static TorchSharp.torch;

namespace Hypergrad.Implicit;

/// <summary>
/// Truncated Neumann series x = α Σ_{k=0}^{K} (I − α(A + ρI))ᵏ v ≈ (A + ρI)⁻¹ v, K = <see cref="ImplicitSolver.Iterations"/>.
/// </summary>
/// <remarks>
/// Term-count convention (hypertorch's): <c>Iterations = K</c> sums K + 1 terms, k = 0…K, using K
/// products for the series and one more for the reported residual. Neumann(K) with step α on an
/// inner objective equals <see cref="FixedPoint"/> with K + 1 iterations on the map Φ = w − α∇_w g.
/// Converges when the eigenvalues of A + ρI lie in (0, 2/α): take α ≤ 1/λ_max. Without <see cref="Alpha"/>,
/// α = 1/λ̂_max from a few power iterations (their products are counted; see <see cref="StepSize"/>); the α used
/// is reported in <see cref="HypergradientResult.StepSize"/>. Stops early when the relative residual reaches
/// <see cref="ImplicitSolver.Tolerance"/>.
/// </remarks>
public sealed class Neumann : ImplicitSolver
{
    /// <inheritdoc/>
    public override Method Method => Method.Neumann;

    /// <summary>The step α (scales the series; must be below 2/λ_max). Default null: α = 1/λ̂_max estimated by power iteration on an inner objective, 1 on a fixed-point map.</summary>
    public double? Alpha { get; init; }

    /// <inheritdoc/>
    public override LinearSolution Solve(LinearSystem system, Tensor v, Tensor? initial) =>
        Richardson.Run(this, system, v, initial, Alpha ?? (system.IsFixedPointMap ? 1.0 : StepSize.Estimate(this, system, v)), Iterations + 1);
}
