using System.Collections.Generic;

namespace Hypergrad.Solving;

/// <summary>
/// The method and options of a bilevel problem: the values of its <c>[Hypergradient]</c> attribute. Options
/// left null take the chosen method's own defaults.
/// </summary>
/// <param name="Method">How the hypergradient is computed.</param>
public sealed record HypergradientSettings(Method Method)
{
    /// <summary>Nyström and Nyström-preconditioned CG: sketch size (products with H).</summary>
    public int? Rank { get; init; }

    /// <summary>Nyström and Nyström-preconditioned CG: how the sketch's test vectors are chosen.</summary>
    public NystromSampling? Sampling { get; init; }

    /// <summary>Nyström-preconditioned CG: outer steps between two sketch refreshes.</summary>
    public int? SketchRefresh { get; init; }

    /// <summary>Nyström's ridge ρ; other implicit methods: damping added to H.</summary>
    public double? Rho { get; init; }

    /// <summary>Iteration budget of the linear solve.</summary>
    public int? Iterations { get; init; }

    /// <summary>Relative residual at which an iterative solve stops.</summary>
    public double? Tolerance { get; init; }

    /// <summary>Neumann and FixedPoint step α; the optimizer solve's learning rate. Unset: 1/λ̂_max by power iteration.</summary>
    public double? Alpha { get; init; }

    /// <summary>Seed of sampling methods.</summary>
    public int? Seed { get; init; }

    /// <summary>Start each linear solve from the previous solution.</summary>
    public bool? WarmStart { get; init; }

    /// <summary>Truncated unroll: number of last inner steps differentiated through.</summary>
    public int? Truncation { get; init; }

    /// <summary>Default number of inner steps between two outer steps (<see cref="BilevelOptions.UnrollSteps"/> overrides it). Default 10.</summary>
    public int? UnrollSteps { get; init; }

    /// <summary>A BOAT-style composition computed instead of the method's own (iterative methods only), or null.</summary>
    public IReadOnlyList<Operation>? Operations { get; init; }

    /// <summary>GradientDescentAggregation's α₀.</summary>
    public double? AggregationAlpha { get; init; }

    /// <summary>GradientDescentAggregation's decay.</summary>
    public double? AggregationDecay { get; init; }

    /// <summary>True for the iterative methods, which differentiate through the inner steps.</summary>
    public bool IsIterative => Method >= Method.ReverseUnroll;

    /// <summary>[FixedPointMap] problems: most forward iterations z ← Φ(z). Default <see cref="DefaultEquilibriumIterations"/>.</summary>
    public int? EquilibriumIterations { get; init; }

    /// <summary>[FixedPointMap] problems: forward stopping rule on ‖Φ(z) − z‖ / ‖Φ(z)‖. Default <see cref="DefaultEquilibriumTolerance"/>.</summary>
    public double? EquilibriumTolerance { get; init; }

    /// <summary>[FixedPointMap] problems: start the forward solve from the current state instead of zero. Default false.</summary>
    public bool? EquilibriumWarmStart { get; init; }

    /// <summary>Default <see cref="EquilibriumIterations"/>.</summary>
    public const int DefaultEquilibriumIterations = 100;

    /// <summary>Default <see cref="EquilibriumTolerance"/>.</summary>
    public const double DefaultEquilibriumTolerance = 1e-6;
}
