// Like Method.cs, this file has no TorchSharp dependency so the generator and analyzers can link it.
namespace Hypergrad;

/// <summary>
/// A BOAT-style operation. A hypergradient is composed from a list of operations (for example
/// InitializationUnroll then ConjugateGradient, or GradientDescentAggregation with ReverseUnroll); which lists
/// are valid is decided in ONE place, <c>Hypergrad.Unrolled.CompositionRules</c>. BOAT's abbreviation is
/// given for each.
/// </summary>
#if HYPERGRAD_TOOLING
internal
#else
public
#endif
enum Operation
{
    // Inner dynamics (BOAT's gradient-mapping operations, gm_op): how the inner steps are taken.

    /// <summary>GDA: the inner steps descend α_k·F + (1 − α_k)·g with α_k = α₀·decay^k.</summary>
    GradientDescentAggregation,
    /// <summary>DI: the inner initialization is learned too (its gradient is returned with the outer ones).</summary>
    DynamicInitialization,
    /// <summary>DM: a dual multiplier v ≈ H⁻¹∇_wF is kept across outer steps and improved by one step each time.</summary>
    DualMultiplier,

    // Trajectory (na_op, first group): which part of the inner trajectory is differentiated.

    /// <summary>PTT: differentiate through the iterate with the largest outer loss.</summary>
    PessimisticTrajectoryTruncation,
    /// <summary>FOA: inner gradients are treated as constants (first order).</summary>
    FirstOrder,
    /// <summary>RGT: differentiate through the last K inner steps only.</summary>
    TruncatedUnroll,

    // Hypergradient (na_op, second group).

    /// <summary>IAD: gradient with respect to the inner initialization (MAML).</summary>
    InitializationUnroll,
    /// <summary>RAD: reverse-mode differentiation through the inner steps.</summary>
    ReverseUnroll,
    /// <summary>FD: finite-difference approximation of the second-order term (DARTS).</summary>
    FiniteDifference,
    /// <summary>IGA: implicit gradient approximation by gradient alignment.</summary>
    GradientAlignment,

    // Implicit (na_op, third group): a linear solve at the final iterate.

    /// <summary>CG: conjugate gradient on H x = ∇_wF.</summary>
    ConjugateGradient,
    /// <summary>NS: Neumann series for H⁻¹∇_wF.</summary>
    Neumann,
}
