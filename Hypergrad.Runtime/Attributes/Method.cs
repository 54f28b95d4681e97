// This file is compiled into both Hypergrad.Runtime and Hypergrad.Generators (linked), so the
// generator and analyzers know the same methods as the runtime without referencing TorchSharp.
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

    // Iterative methods: differentiate through the inner optimization.

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
}
