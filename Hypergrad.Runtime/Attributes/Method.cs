// This file is compiled into both Hypergrad.Runtime and Hypergrad.Generators (linked), so the
// generator and analyzers know the same methods as the runtime without referencing TorchSharp.
using System;

namespace Hypergrad;

/// <summary>How a hypergradient is computed. See docs/methods.md for what each one computes.</summary>
#if HYPERGRAD_TOOLING
internal
#else
public
#endif
enum Method
{
    // Implicit methods: solve H x = ∇_w F (or (I − Jᵀ) x = ∇_w F) at the inner solution.

    /// <summary>Conjugate gradient on H x = v (symmetric H), or on (I − Jᵀ) x = v for a fixed-point map.</summary>
    ConjugateGradient,
    /// <summary>Conjugate gradient on the normal equations (I − J)(I − Jᵀ) x = (I − J) v, for non-symmetric maps.</summary>
    ConjugateGradientNormal,
    /// <summary>Truncated Neumann series x = α Σₖ (I − αH)ᵏ v.</summary>
    Neumann,
    /// <summary>Fixed-point iteration x ← Jᵀ x + v from x = 0.</summary>
    FixedPoint,
    /// <summary>Nyström low-rank approximation of (H + ρI)⁻¹ from k products (Hessian columns or Gaussian test vectors).</summary>
    Nystrom,
    /// <summary>Minimises ½xᵀHx − xᵀv with a (stochastic) optimizer: stochastic AID.</summary>
    OptimizerSolve,
    /// <summary>Materialises H and solves it exactly (small problems, reference and debugging).</summary>
    Exact,
    /// <summary>Conjugate gradient on (H + ρI) x = v preconditioned by a Nyström sketch of H, kept across outer steps.</summary>
    NystromConjugateGradient,

    // Unrolled methods: differentiate through the inner optimization.

    /// <summary>Reverse-mode differentiation through every inner step (RAD).</summary>
    ReverseUnroll,
    /// <summary>Reverse mode that keeps only the weight trajectory and recomputes each step on the way back.</summary>
    ReverseRecompute,
    /// <summary>Reverse mode through the last K inner steps only (RGT).</summary>
    TruncatedUnroll,
    /// <summary>Differentiates through the iterate with the largest outer loss (PTT).</summary>
    PessimisticTrajectoryTruncation,
    /// <summary>Inner gradients treated as constants (first-order, FOA / first-order MAML).</summary>
    FirstOrder,
    /// <summary>Finite-difference approximation of the second-order term (DARTS).</summary>
    FiniteDifference,
    /// <summary>Implicit gradient approximation by gradient alignment (IGA).</summary>
    GradientAlignment,

    // Single-loop stochastic methods: w, the estimate z of H⁻¹∇_w F and λ step together, one minibatch of g and one of F
    // per iteration (docs/methods.md, "Joint methods").

    /// <summary>SOBA (Dagréou et al. 2022): one SGD step on w, on z (along Hz − ∇_w F) and on λ (along ∇_λF − ∂²_{λw}g z) per minibatch pair.</summary>
    Soba,
    /// <summary>SABA (Dagréou et al. 2022): SOBA with SAGA variance reduction over a finite dataset (<c>Hypergrad.Data.FiniteBatches</c>).</summary>
    Saba,
    /// <summary>MA-SOBA (Chen, Xu and Zhang 2023): SOBA whose λ steps along a moving average of its hypergradient estimates.</summary>
    MaSoba,
    /// <summary>AmIGO (Arbel and Mairal 2022): a few SGD steps on w, a few warm-started SGD steps on z, then one λ step.</summary>
    Amigo,
    /// <summary>StocBiO (Ji, Yang and Liang 2021): a few SGD steps on w, a stochastic Neumann series for z, then one λ step.</summary>
    StocBio,

    // Hessian-free (first-order) methods: no Hessian- or Jacobian-vector product at all.

    /// <summary>F²SA (Kwon et al. 2023): a penalized inner copy and a lower-level copy, λ along ∇_λF + σ(∇_λg(w) − ∇_λg(y)) with a growing penalty σ.</summary>
    F2sa,
    /// <summary>BOME (Liu et al. 2022): a few GD steps on a lower-level copy, then (w, λ) along the BOME combination of ∇F and ∇q, q = g − g(copy).</summary>
    Bome,
    /// <summary>PGDM (Shen and Chen 2023): gradient steps on the penalty F + σ(g − g*) with g* from a few steps on a lower-level copy.</summary>
    Pgdm,
}

/// <summary>The ways a <see cref="Method"/> computes a hypergradient.</summary>
#if HYPERGRAD_TOOLING
internal
#else
public
#endif
enum MethodFamily
{
    /// <summary>A linear solve at the inner solution (the implicit function theorem); CG, Neumann, Nyström, …</summary>
    Implicit,
    /// <summary>Differentiates through the inner optimizer's steps (reverse mode, truncations, FD, IGA, …).</summary>
    Unrolled,
    /// <summary>Stochastic methods that step w, an estimate z of H⁻¹∇_w F and λ together (SOBA, SABA, MA-SOBA, AmIGO, StocBiO).</summary>
    SingleLoop,
    /// <summary>First-order methods that use no Hessian-vector product (F²SA, BOME, PGDM).</summary>
    HessianFree,
}

/// <summary>Which family each <see cref="Method"/> belongs to, decided here once for every method (a test pins each value).</summary>
#if HYPERGRAD_TOOLING
internal
#else
public
#endif
static class MethodFamilies
{
    /// <summary>The family of <paramref name="method"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value that is not a <see cref="Method"/>.</exception>
    public static MethodFamily Of(Method method) => method switch
    {
        Method.ConjugateGradient or Method.ConjugateGradientNormal or Method.Neumann or Method.FixedPoint
            or Method.Nystrom or Method.OptimizerSolve or Method.Exact or Method.NystromConjugateGradient => MethodFamily.Implicit,
        Method.ReverseUnroll or Method.ReverseRecompute or Method.TruncatedUnroll or Method.PessimisticTrajectoryTruncation
            or Method.FirstOrder or Method.FiniteDifference or Method.GradientAlignment => MethodFamily.Unrolled,
        Method.Soba or Method.Saba or Method.MaSoba or Method.Amigo or Method.StocBio => MethodFamily.SingleLoop,
        Method.F2sa or Method.Bome or Method.Pgdm => MethodFamily.HessianFree,
        _ => throw new ArgumentOutOfRangeException(nameof(method), method, $"{(int)method} is not a Hypergrad.Method."),
    };

    /// <summary>True for the unrolled methods, which differentiate through the inner steps.</summary>
    public static bool IsUnrolled(Method method) => Of(method) == MethodFamily.Unrolled;

    /// <summary>True for the single-loop and Hessian-free methods, which step the inner variables, their own state and λ together.</summary>
    public static bool IsJoint(Method method) => Of(method) is MethodFamily.SingleLoop or MethodFamily.HessianFree;
}
