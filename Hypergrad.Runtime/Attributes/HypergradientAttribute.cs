using System;

namespace Hypergrad;

/// <summary>
/// Marks a <c>partial</c> class as a bilevel problem. The source generator adds
/// <c>ComputeHypergradient(innerBatch, outerBatch)</c> and <c>Run(train, validation, options, …)</c> to it.
/// </summary>
/// <remarks>
/// The class needs at least one <see cref="InnerAttribute"/> and one <see cref="OuterAttribute"/> member, one
/// <see cref="InnerObjectiveAttribute"/> (an equilibrium problem: one <see cref="FixedPointMapAttribute"/> instead) and one
/// <see cref="OuterObjectiveAttribute"/> method. Options that do not
/// apply to <see cref="Method"/> are ignored; options left unset take the runtime's defaults (see
/// <c>Hypergrad.Solving.HypergradientSettings</c>).
/// </remarks>
/// <example>
/// <code>
/// [Hypergradient(Method.Nystrom, Rank = 5, Rho = 0.1)]
/// public partial class WeightDecayTuning { … }
/// </code>
/// </example>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class HypergradientAttribute : Attribute
{
    /// <summary>Declares the class a bilevel problem whose hypergradient is computed with <paramref name="method"/>.</summary>
    public HypergradientAttribute(Method method) => Method = method;

    /// <summary>How the hypergradient is computed.</summary>
    public Method Method { get; }

    /// <summary>Nyström: number of products k of its sketch (must be positive); default 5. NystromConjugateGradient: its preconditioner's sketch size; default 10.</summary>
    public int Rank { get; set; }

    /// <summary>Nyström (default <see cref="NystromSampling.Columns"/>) and NystromConjugateGradient (default <see cref="NystromSampling.Gaussian"/>): how the sketch's test vectors are chosen.</summary>
    public NystromSampling Sampling { get; set; }

    /// <summary>NystromConjugateGradient: outer steps between two rebuilds of the preconditioner's sketch (must be positive; it is also rebuilt when the iteration count rises). Default 10.</summary>
    public int SketchRefresh { get; set; }

    /// <summary>Nyström: the ridge ρ of (H + ρI)⁻¹ (default 0.1); other implicit methods: damping added to H (default 0). Must not be negative.</summary>
    public double Rho { get; set; }

    /// <summary>Iteration budget K of the linear-system solve (CG, Neumann, fixed point, optimizer solve; must be positive). Default 100.</summary>
    public int Iterations { get; set; }

    /// <summary>Relative residual ‖Ax − v‖/‖v‖ at which an iterative solve stops early; for iterative (unrolled) methods, the bound on
    /// the final iterate's inner stationarity ‖∇g(w_T)‖/‖∇g(w_0)‖ that makes the result Converged (must be positive). Default 1e-6.</summary>
    public double Tolerance { get; set; }

    /// <summary>Neumann and FixedPoint step α; optimizer solve: its learning rate. Must be positive. Unset: 1/λ_max of H + ρI estimated by a few power iterations (FixedPoint on a [FixedPointMap]: 1), reported in the result's StepSize.</summary>
    public double Alpha { get; set; }

    /// <summary>
    /// Start each linear solve from the previous outer step's solution (successive outer steps have close systems,
    /// so iterative solves converge in fewer iterations). Default false.
    /// </summary>
    public bool WarmStart { get; set; }

    /// <summary>Seed of Nyström's (and NystromConjugateGradient's first) sketch (must not be negative; same seed, same hypergradient). Default 0.</summary>
    public int Seed { get; set; }

    /// <summary>Truncated unroll: number K of last inner steps differentiated through (0 &lt; K &lt; UnrollSteps).</summary>
    public int Truncation { get; set; }

    /// <summary>
    /// Default number of inner steps between two outer steps (for iterative methods: the length of the trajectory
    /// differentiated through). <c>BilevelOptions.UnrollSteps</c> overrides it for one run.
    /// </summary>
    public int UnrollSteps { get; set; }

    /// <summary>
    /// A BOAT-style composition computed instead of <see cref="Method"/>'s own, e.g.
    /// <c>new[] { Operation.GradientDescentAggregation, Operation.ReverseUnroll }</c>. Checked at compile time
    /// against <c>Hypergrad.Unrolled.CompositionRules</c>; <see cref="Method"/> must then be an iterative method.
    /// </summary>
    public Operation[]? Operations { get; set; }

    /// <summary>GradientDescentAggregation: initial weight α₀ of the outer objective in the inner loss (0 ≤ α₀ ≤ 1). Default 0.5.</summary>
    public double AggregationAlpha { get; set; }

    /// <summary>GradientDescentAggregation: α_k = α₀·decay^k (0 &lt; decay ≤ 1). Default 1.</summary>
    public double AggregationDecay { get; set; }

    /// <summary>
    /// <c>[FixedPointMap]</c> problems: most iterations z ← Φ(z) of the forward (equilibrium) solve before each
    /// hypergradient (must be positive). Default 100. Not reaching <see cref="EquilibriumTolerance"/> is reported
    /// in the result (<c>Converged == false</c> and a warning).
    /// </summary>
    public int EquilibriumIterations { get; set; }

    /// <summary>
    /// <c>[FixedPointMap]</c> problems: the forward solve stops when ‖Φ(z) − z‖ / ‖Φ(z)‖ is at most this (must be
    /// positive). Default 1e-6.
    /// </summary>
    public double EquilibriumTolerance { get; set; }

    /// <summary>
    /// <c>[FixedPointMap]</c> problems: start each forward solve from the current equilibrium state (the previous
    /// batch's) instead of from zero. Default false.
    /// </summary>
    public bool EquilibriumWarmStart { get; set; }
}
