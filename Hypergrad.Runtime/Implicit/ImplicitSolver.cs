using System;
using static TorchSharp.torch;

namespace Hypergrad.Implicit;

/// <summary>
/// A method for the linear system of an implicit hypergradient: given A (matrix-free, see
/// <see cref="LinearSystem"/>) and v = ∇_w F, returns x ≈ (A + Damping·I)⁻¹ v. One class per
/// <see cref="Hypergrad.Method"/> value; docs/methods.md says exactly what each computes.
/// </summary>
public abstract class ImplicitSolver
{
    /// <summary>The <see cref="Hypergrad.Method"/> this solver implements.</summary>
    public abstract Method Method { get; }

    /// <summary>Maximum iterations (the meaning per method is in its docs). Default 100.</summary>
    public int Iterations { get; init; } = 100;

    /// <summary>Stop when the relative residual ‖Ax − v‖/‖v‖ is at most this. Default 1e-6 (float32-reachable); 0 runs every iteration.</summary>
    public double Tolerance { get; init; } = 1e-6;

    /// <summary>Ridge ρ ≥ 0 added to the system: solves (A + ρI) x = v. Regularises ill-conditioned or indefinite Hessians. Default 0.</summary>
    public double Damping { get; init; }

    /// <summary>Start from the previous solution of the same <see cref="ImplicitHypergradient"/> (successive outer steps have close systems). Default false.</summary>
    public bool WarmStart { get; init; }

    /// <summary>Solves (A + <see cref="Damping"/>·I) x = v.</summary>
    /// <param name="system">The matrix-free system.</param>
    /// <param name="v">The right-hand side ∇_w F (flat, non-zero).</param>
    /// <param name="initial">A starting point (warm start), or null for x₀ = 0.</param>
    public abstract LinearSolution Solve(LinearSystem system, Tensor v, Tensor? initial);

    /// <summary>A solver for <paramref name="method"/> with default options.</summary>
    public static ImplicitSolver Create(Method method) => method switch
    {
        Method.ConjugateGradient => new ConjugateGradient(),
        Method.ConjugateGradientNormal => new ConjugateGradientNormal(),
        Method.Neumann => new Neumann(),
        Method.FixedPoint => new FixedPoint(),
        Method.Nystrom => new Nystrom(),
        Method.OptimizerSolve => new OptimizerSolve(),
        Method.Exact => new Exact(),
        Method.NystromConjugateGradient => new NystromConjugateGradient(),
        _ => throw new HypergradException($"{method} is not an implicit method; use the unrolled methods (Hypergrad.Unrolled) for it."),
    };

    /// <summary>Stops a solve whose numbers are no longer finite (the inputs stay unchanged).</summary>
    protected internal void ThrowIfNotFinite(double value, string what, int iteration)
    {
        if (double.IsFinite(value)) return;
        throw new HypergradException(
            $"{Method} produced a non-finite {what} ({value}) at iteration {iteration}: the linear system diverged or the Hessian-vector product is NaN/Inf. " +
            "Nothing was changed. Check the objectives for NaN at the current variables, add Damping, or lower the step size (Alpha / LearningRate).");
    }

    /// <summary>x₀ as a new tensor: a copy of <paramref name="initial"/>, or zeros.</summary>
    protected internal static Tensor StartAt(Tensor v, Tensor? initial) => initial is null ? zeros_like(v) : initial.detach().clone();
}
