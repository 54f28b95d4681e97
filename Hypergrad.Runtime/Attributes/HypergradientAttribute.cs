using System;

namespace Hypergrad;

/// <summary>
/// Marks a <c>partial</c> class as a bilevel problem. The source generator adds
/// <c>ComputeHypergradient(innerBatch, outerBatch)</c> and <c>Run(train, validation, options, …)</c> to it.
/// </summary>
/// <remarks>
/// The class needs at least one <see cref="InnerAttribute"/> and one <see cref="OuterAttribute"/> member, one
/// <see cref="InnerObjectiveAttribute"/> (an equilibrium problem: one <see cref="FixedPointMapAttribute"/> instead) and one
/// <see cref="OuterObjectiveAttribute"/> method. Which options apply to which method, their valid values and
/// defaults are one rule table (<c>OptionRules</c>, docs/dsl.md "Options"), checked at compile time (HG0012, HG0016)
/// and by <c>Hypergrad.Solving.HypergradientSettings</c> at run time. An option left out takes its default; a value
/// given (0 included) must be valid. A value known only at run time replaces the attribute's through the generated
/// <c>BilevelProblem.Settings</c>.
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

    /// <summary>The ridge ρ of (H + ρI) x = v: 0 (the default) is none; Nyström: positive, default 0.1. Also the implicit stage of <see cref="Operations"/>.</summary>
    public double Rho { get; set; }

    /// <summary>Iteration budget K of the linear-system solve (CG, CG normal, Neumann, fixed point, optimizer solve, and the implicit stage of <see cref="Operations"/>; must be positive). Default 100.</summary>
    public int Iterations { get; set; }

    /// <summary>
    /// Implicit methods (and the implicit stage of <see cref="Operations"/>): relative residual ‖Ax − v‖/‖v‖ at which the linear
    /// solve stops early and counts as converged; 0 runs every iteration. Unrolled methods: the bound on the final iterate's
    /// inner stationarity ‖∇g(w_T)‖/‖∇g(w_0)‖ that makes the result Converged. Default 1e-6.
    /// </summary>
    public double Tolerance { get; set; }

    /// <summary>Step α of Neumann (also a composition's Neumann stage) and FixedPoint; OptimizerSolve: its learning rate. Must be positive and finite. Unset: 1/λ_max of H + ρI estimated by a few power iterations (FixedPoint on a [FixedPointMap]: 1), reported in the result's StepSize.</summary>
    public double Alpha { get; set; }

    /// <summary>
    /// Start each linear solve from the previous outer step's solution (successive outer steps have close systems,
    /// so iterative solves converge in fewer iterations). Default false.
    /// </summary>
    public bool WarmStart { get; set; }

    /// <summary>Seed of Nyström's (and NystromConjugateGradient's first) sketch (must not be negative; same seed, same hypergradient). Default 0.</summary>
    public int Seed { get; set; }

    /// <summary>Truncated unroll: number K of last inner steps differentiated through (0 &lt; K &lt; UnrollSteps; required by TruncatedUnroll).</summary>
    public int Truncation { get; set; }

    /// <summary>
    /// Default number of inner steps between two outer steps (for unrolled methods: the length of the trajectory
    /// differentiated through). <c>BilevelOptions.UnrollSteps</c> overrides it for one run.
    /// </summary>
    public int UnrollSteps { get; set; }

    /// <summary>
    /// A BOAT-style composition computed instead of <see cref="Method"/>'s own, e.g.
    /// <c>new[] { Operation.GradientDescentAggregation, Operation.ReverseUnroll }</c>. Checked at compile time
    /// against <c>Hypergrad.Unrolled.CompositionRules</c>; <see cref="Method"/> must then be an unrolled method.
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

    /// <summary>
    /// Joint methods (single-loop and Hessian-free): step of the method's own state — z (Soba, Saba, MaSoba, Amigo), StocBio's
    /// Neumann series, the lower-level copy (F2sa, Bome, Pgdm). Must be positive and finite. Unset: the inner optimizer's
    /// learning rate (a constant-rate <c>DifferentiableSgd</c>; required with any other inner optimizer).
    /// </summary>
    public double AuxiliaryStepSize { get; set; }

    /// <summary>Joint methods: iteration t's steps are scaled by 1/(t + 1)^a (0 ≤ a ≤ 1). Default 0.5 for Soba, 0 (constant steps) otherwise.</summary>
    public double StepExponent { get; set; }

    /// <summary>Amigo, StocBio, F2sa (steps on w), Bome, Pgdm (steps on the lower-level copy): inner steps per outer step (must be positive). Default 10.</summary>
    public int InnerSteps { get; set; }

    /// <summary>MaSoba: weight θ of the newest estimate in the moving average h ← (1 − θ) h + θ D (0 &lt; θ ≤ 1). Default 0.1.</summary>
    public double Averaging { get; set; }

    /// <summary>F2sa, Pgdm: the penalty σ of the lower-level gap at the first iteration (Pgdm: throughout); must be positive. Default 1.</summary>
    public double PenaltyStart { get; set; }

    /// <summary>F2sa: σ grows by δ/(t + 1)^(1/7) after iteration t (≥ 0; 0 keeps it constant). Default 0.1.</summary>
    public double PenaltyGrowth { get; set; }

    /// <summary>Bome: η of its control φ = η‖∇q‖² (must be positive). Default 0.5.</summary>
    public double Eta { get; set; }
}
