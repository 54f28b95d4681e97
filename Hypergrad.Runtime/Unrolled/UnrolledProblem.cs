using System;
using System.Collections.Generic;
using System.Linq;
using Hypergrad.Optimizers;
using Hypergrad.Parameters;
using static TorchSharp.torch;

namespace Hypergrad.Unrolled;

/// <summary>
/// A bilevel problem solved by differentiating through its inner optimization: the inner variables w start
/// at their current values and take <see cref="UnrolledOptions.UnrollSteps"/> steps of
/// <see cref="InnerOptimizer"/> on the inner objective; the outer objective is evaluated at the result.
/// </summary>
/// <remarks>
/// The objectives are closures over the user's modules and tensors, evaluated at the current values of the
/// variables: during the unroll each inner iterate is substituted into the inner variables
/// (<see cref="ParameterSet.Substitute(Tensor)"/>), so a module runs its own forward with the iterate. The user's
/// variables are left exactly as they were (same objects, same values).
/// </remarks>
public sealed class UnrolledProblem
{
    /// <summary>Creates the problem with one inner objective for every inner step (one batch, or full-batch data).</summary>
    /// <param name="inner">The inner variables w (their current values are the initialization w₀).</param>
    /// <param name="outer">The outer variables λ, or null when the only outer variable is the initialization (MAML with InitializationUnroll).</param>
    /// <param name="innerObjective">g(w, λ): the inner (training) loss, a scalar.</param>
    /// <param name="outerObjective">F(w, λ): the outer (validation) loss, a scalar.</param>
    /// <param name="innerOptimizer">The differentiable optimizer that takes the inner steps; its learning rate may be an outer variable.</param>
    public UnrolledProblem(ParameterSet inner, ParameterSet? outer, Func<Tensor> innerObjective, Func<Tensor> outerObjective, DifferentiableOptimizer innerOptimizer)
        : this(inner, outer, innerObjective is null ? null! : _ => innerObjective, outerObjective, innerOptimizer)
    {
    }

    /// <summary>Creates the problem with its own inner objective per inner step (stochastic inner steps: a batch per step).</summary>
    /// <param name="inner">The inner variables w (their current values are the initialization w₀).</param>
    /// <param name="outer">The outer variables λ, or null when the only outer variable is the initialization (MAML with InitializationUnroll).</param>
    /// <param name="innerObjectiveOfStep">
    /// Step t ↦ g_t(w, λ), the inner loss of step t (e.g. closed over the t-th training batch). Each computation calls
    /// it once per step, in step order t = 0, 1, …, when the step is first taken, and records the objective: whatever
    /// revisits step t (ReverseRecompute's backward pass; FiniteDifference, GradientAlignment and ConjugateGradient/Neumann
    /// at the last step) reuses it. So a function that draws the next batch from a data source gives every step its own
    /// batch, and the same batch whenever that step is evaluated again. It is called outside the per-step dispose
    /// scopes: tensors it creates live until the computation returns.
    /// </param>
    /// <param name="outerObjective">F(w, λ): the outer (validation) loss, a scalar.</param>
    /// <param name="innerOptimizer">The differentiable optimizer that takes the inner steps; its learning rate may be an outer variable.</param>
    public UnrolledProblem(ParameterSet inner, ParameterSet? outer, Func<int, Func<Tensor>> innerObjectiveOfStep, Func<Tensor> outerObjective, DifferentiableOptimizer innerOptimizer)
    {
        Inner = inner ?? throw new HypergradException("The unrolled problem needs inner variables; pass the [Inner] parameter set.");
        Outer = outer;
        InnerObjectiveOfStep = innerObjectiveOfStep ?? throw new HypergradException("The unrolled problem needs an inner objective; pass the [InnerObjective] delegate.");
        OuterObjective = outerObjective ?? throw new HypergradException("The unrolled problem needs an outer objective; pass the [OuterObjective] delegate.");
        InnerOptimizer = innerOptimizer ?? throw new HypergradException("The unrolled problem needs an inner optimizer; pass a differentiable optimizer such as new DifferentiableSgd(0.1) (torch.optim optimizers cut the graph).");
        if (outer is null) return;
        if (outer.DType != inner.DType)
            throw new HypergradException($"The inner variables are {inner.DType} but the outer variables are {outer.DType}; give both sets one dtype.");
        var innerTensors = new HashSet<Tensor>(inner.Select(v => v.Tensor), ReferenceEqualityComparer.Instance);
        foreach (var (name, tensor) in outer)
            if (innerTensors.Contains(tensor))
                throw new HypergradException($"Variable '{name}' is both an inner and an outer variable; a variable is optimized at one level only. " +
                    "For MAML (the initialization is what the outer level learns) pass no outer set and use InitializationUnroll.");
    }

    /// <summary>The inner variables w.</summary>
    public ParameterSet Inner { get; }
    /// <summary>The outer variables λ (null: only the initialization is differentiated).</summary>
    public ParameterSet? Outer { get; }
    /// <summary>Step t ↦ g_t(w, λ), the inner objective of inner step t (the same for every step when built from one objective).</summary>
    public Func<int, Func<Tensor>> InnerObjectiveOfStep { get; }
    /// <summary>F(w, λ).</summary>
    public Func<Tensor> OuterObjective { get; }
    /// <summary>The optimizer of the inner steps.</summary>
    public DifferentiableOptimizer InnerOptimizer { get; }
}

/// <summary>Settings of the unrolled methods and compositions.</summary>
public sealed class UnrolledOptions
{
    /// <summary>Inner steps T per hypergradient.</summary>
    public int UnrollSteps { get; init; } = 10;

    /// <summary>TruncatedUnroll (RGT): how many of the last steps are differentiated (0 &lt; K &lt; T).</summary>
    public int Truncation { get; init; }

    /// <summary>FiniteDifference (FD): perturbation radius r; ε = r/‖∇_wF‖ (DARTS uses 0.01).</summary>
    public double FiniteDifferenceRadius { get; init; } = 0.01;

    /// <summary>FiniteDifference (FD): the inner step size η of the differentiated step. Defaults to the learning rate of a
    /// <see cref="DifferentiableSgd"/> inner optimizer with a constant learning rate.</summary>
    public double? FiniteDifferenceStepSize { get; init; }

    /// <summary>GradientDescentAggregation (GDA): initial weight α₀ of the outer objective in the inner loss.</summary>
    public double AggregationAlpha { get; init; } = 0.5;

    /// <summary>GradientDescentAggregation (GDA): α_k = α₀·decay^k.</summary>
    public double AggregationDecay { get; init; } = 1.0;

    /// <summary>ConjugateGradient / Neumann operations: the linear-system solver and its settings (iterations, tolerance,
    /// damping). Defaults to the implicit engine's defaults for the operation.</summary>
    public Implicit.ImplicitSolver? ImplicitSolver { get; init; }

    /// <summary>
    /// The certificate's tolerance: the result is <see cref="HypergradientResult.Converged"/> when the final iterate is
    /// stationary, ‖∇_w g(w_T)‖ ≤ Tolerance·‖∇_w g(w_0)‖ (and, with CG/NS, the solve meets its own tolerance). Default 1e-6,
    /// the implicit solvers' default.
    /// </summary>
    public double Tolerance { get; init; } = 1e-6;

    /// <summary>Copy the final inner iterate into the inner variables afterwards (BOAT's copy_last_param), so the next
    /// outer step starts from it. Off by default: the inner variables are left unchanged.</summary>
    public bool CopyFinalIterate { get; init; }
}
