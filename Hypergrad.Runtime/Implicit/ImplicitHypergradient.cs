using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Hypergrad.Autograd;
using Hypergrad.Parameters;
using TorchSharp;
using static TorchSharp.torch;

namespace Hypergrad.Implicit;

/// <summary>
/// Computes implicit hypergradients of a bilevel problem at the current inner variables, assumed to
/// be (near) an inner solution:
/// <list type="bullet">
/// <item>from an inner objective g: dF/dλ = ∇_λF − (∂²_{λw} g)·x with (H + ρI) x = ∇_w F, H = ∇²_w g;</item>
/// <item>from a fixed-point map Φ (one inner step): dF/dλ = ∇_λF + (∂Φ/∂λ)ᵀ x with (I − Jᵀ + ρI) x = ∇_w F, J = ∂Φ/∂w.</item>
/// </list>
/// The linear system is solved by <see cref="Solver"/>. One instance per problem: it keeps the
/// previous solution for warm starts.
/// </summary>
/// <remarks>
/// Objectives are closures over the variables of the two sets (modules, Parameters, tensors) and
/// their batch; they are evaluated once per call with the variables substituted by differentiable
/// leaves aliasing their values (one per variable; one flat leaf for the inner variables of a fixed-point map), and
/// the solvers work on flat vectors: every product is one autograd call and one concatenation. On any exception (non-scalar objective, an inner variable the inner objective does
/// not use, a non-finite residual, …) the variables, their <c>.grad</c> and the warm start are left
/// unchanged.
/// </remarks>
public sealed class ImplicitHypergradient : IDisposable
{
    readonly ParameterSet inner, outer;
    readonly string[] outerNames;
    Tensor? previousSolution;
    bool innerObjectiveChecked;

    /// <summary>Creates the engine for one bilevel problem.</summary>
    /// <param name="inner">The inner variables w (disjoint from <paramref name="outer"/>).</param>
    /// <param name="outer">The outer variables λ.</param>
    /// <param name="solver">The linear-system method, e.g. <c>new ConjugateGradient { Iterations = 20 }</c>.</param>
    public ImplicitHypergradient(ParameterSet inner, ParameterSet outer, ImplicitSolver solver)
    {
        this.inner = inner ?? throw new ArgumentNullException(nameof(inner));
        this.outer = outer ?? throw new ArgumentNullException(nameof(outer));
        Solver = solver ?? throw new ArgumentNullException(nameof(solver));
        solver.Validate();
        if (inner.DType != outer.DType)
            throw new HypergradException($"The inner variables are {inner.DType} but the outer variables are {outer.DType}; use one dtype for both (e.g. .to(float64)).");
        var innerTensors = new HashSet<Tensor>(inner.Select(v => v.Tensor), ReferenceEqualityComparer.Instance);
        foreach (var (name, tensor) in outer)
            if (innerTensors.Contains(tensor))
                throw new HypergradException($"Variable '{name}' is both an inner and an outer variable; a variable is optimized at one level only. Remove one of the marks.");
        outerNames = outer.Names.ToArray();
    }

    /// <summary>The linear-system method.</summary>
    public ImplicitSolver Solver { get; }

    /// <summary>
    /// The hypergradient from the inner objective g: dF/dλ = ∇_λF − (∂²_{λw} g)·(H + ρI)⁻¹∇_w F.
    /// </summary>
    /// <param name="innerObjective">g: a scalar of the inner and outer variables (closing over its batch).</param>
    /// <param name="outerObjective">F: a scalar of the inner and/or outer variables.</param>
    /// <param name="accumulateGrad">Also add the result to each outer variable's <c>.grad</c>, for an outer optimizer.</param>
    public HypergradientResult Compute(Func<Tensor> innerObjective, Func<Tensor> outerObjective, bool accumulateGrad = false)
    {
        ArgumentNullException.ThrowIfNull(innerObjective);
        return Run(leaves => InnerGradient(innerObjective, leaves), isFixedPointMap: false, outerObjective, accumulateGrad);
    }

    /// <summary>
    /// The hypergradient from a fixed-point map Φ (an inner step, e.g. <see cref="FixedPointMap.GradientStep"/>):
    /// dF/dλ = ∇_λF + (∂Φ/∂λ)ᵀ (I − Jᵀ + ρI)⁻¹∇_w F.
    /// </summary>
    /// <param name="fixedPointMap">Φ: takes the flat inner iterate w (laid out like the inner set) and returns the next one, as a
    /// differentiable function of w and of the outer variables (evaluated with the variables substituted, so closures see w).</param>
    /// <param name="outerObjective">F: a scalar of the inner and/or outer variables.</param>
    /// <param name="accumulateGrad">Also add the result to each outer variable's <c>.grad</c>.</param>
    public HypergradientResult ComputeWithFixedPointMap(Func<Tensor, Tensor> fixedPointMap, Func<Tensor> outerObjective, bool accumulateGrad = false)
    {
        ArgumentNullException.ThrowIfNull(fixedPointMap);
        return Run(w => CheckMapOutput(fixedPointMap(w[0])), isFixedPointMap: true, outerObjective, accumulateGrad);
    }

    /// <summary>
    /// Writes what later solves depend on — the warm-start solution and a solver's own state (the Nyström-preconditioned
    /// CG's sketch) — so that a run resumed from a checkpoint continues bit-exactly.
    /// </summary>
    internal void SaveState(BinaryWriter writer)
    {
        bool hasSolution = previousSolution is not null && !previousSolution.IsInvalid;
        writer.Write(hasSolution);
        if (hasSolution) previousSolution!.Save(writer);
        writer.Write(Solver is NystromConjugateGradient);
        if (Solver is NystromConjugateGradient pcg) pcg.SaveState(writer);
    }

    /// <summary>Restores what <see cref="SaveState"/> wrote.</summary>
    internal void LoadState(BinaryReader reader, string path)
    {
        previousSolution?.Dispose();
        previousSolution = reader.ReadBoolean() ? Tensor.Load(reader).DetachFromDisposeScope() : null;
        bool hasSketch = reader.ReadBoolean();
        if (hasSketch != Solver is NystromConjugateGradient)
            throw new HypergradException($"The checkpoint '{path}' was written with another hypergradient method than {Solver.Method}; resume with the same method.");
        if (Solver is NystromConjugateGradient pcg) pcg.LoadState(reader);
    }

    /// <summary>Forgets the warm-start solution (and a Nyström-preconditioned CG's sketch).</summary>
    public void Dispose()
    {
        previousSolution?.Dispose();
        previousSolution = null;
        (Solver as NystromConjugateGradient)?.ForgetSketch();
    }

    HypergradientResult Run(Func<Tensor[], Tensor> evaluate, bool isFixedPointMap, Func<Tensor> outerObjective, bool accumulateGrad)
    {
        ArgumentNullException.ThrowIfNull(outerObjective);
        HypergradientResult result;
        using (var scope = NewDisposeScope())
        {
            // A fixed-point map takes the flat iterate: one flat leaf. An inner objective is differentiated with respect to
            // one 1-D leaf per variable, as the user's own tensors would be (no split of a flat leaf in every backward pass).
            // Outer variables always are: their gradients come out per variable.
            var w = isFixedPointMap ? new[] { inner.CreateLeaf() } : inner.CreateVariableLeaves();
            var lambda = outer.CreateVariableLeaves();
            using var innerSubstitution = isFixedPointMap ? inner.Substitute(w[0]) : inner.Substitute(w);
            using var outerSubstitution = outer.Substitute(lambda);
            var innerNames = isFixedPointMap ? new[] { "inner variables" } : inner.Names.ToArray();

            // ∇_w F and ∇_λ F in one backward pass; either may be zero (F of λ only, or of w only).
            var direct = new bool[w.Length + outer.Count];
            var outerGradients = Gradients.Of(outerObjective(), "outer objective", w.Concat(lambda).ToArray(),
                innerNames.Concat(outerNames).ToArray(), unused: UnusedInput.Zero, dependsOn: direct);
            var v = isFixedPointMap ? outerGradients[0] : Concatenate(outerGradients.Take(w.Length).ToArray());
            double vNorm = v.norm().ToDouble();
            Solver.ThrowIfNotFinite(vNorm, "∇_w F (gradient of the outer objective)", 0);

            using var system = new LinearSystem(w, () => evaluate(w), isFixedPointMap);
            var start = Solver.WarmStart && previousSolution is not null && !previousSolution.IsInvalid ? previousSolution : null;
            var solution = vNorm == 0
                ? new LinearSolution(zeros_like(v), 0, 0, true)
                : Solver.Solve(system, v, start);

            var mixedUsed = new bool[outer.Count];
            var mixed = Gradients.VectorJacobianProduct(new[] { system.Output }, isFixedPointMap ? "fixed-point map" : "gradient of the inner objective",
                new[] { solution.X }, lambda, outerNames, dependsOn: mixedUsed);

            var warnings = new List<string>();
            if (solution.Warning is not null) warnings.Add(solution.Warning);
            var gradients = new NamedTensor[outer.Count];
            for (int i = 0; i < outer.Count; i++)
            {
                var directGradient = outerGradients[w.Length + i];
                var total = isFixedPointMap ? directGradient.Plus(mixed[i]) : directGradient - mixed[i];
                gradients[i] = new NamedTensor(outerNames[i], outer.ShapedLike(i, total.detach()).MoveToOuterDisposeScope());
                if (!direct[w.Length + i] && !mixedUsed[i])
                    warnings.Add($"Outer variable '{outerNames[i]}' is touched by neither objective (nor by ∇_w g): its hypergradient is zero. Use it in an objective or remove its [Outer] mark.");
            }

            if (Solver.WarmStart)
            {
                previousSolution?.Dispose();
                previousSolution = solution.X.detach().clone().DetachFromDisposeScope();
            }
            result = new HypergradientResult(Solver.Method, gradients, solution.Iterations, solution.RelativeResidual,
                system.Products, solution.Converged, warnings) { StepSize = solution.Step };
        }
        if (accumulateGrad) result.AccumulateInto(outer);
        return result;
    }

    // ∇_w g (flat, with a graph for the products) from the per-variable leaves. The first call refuses an inner variable
    // g does not use (autograd cannot tell "unused" from "zero" once the gradients are concatenated); later calls (a
    // resampled batch) take it as zero.
    Tensor InnerGradient(Func<Tensor> innerObjective, Tensor[] leaves)
    {
        var grads = Gradients.Of(innerObjective(), "inner objective", leaves, inner.Names.ToArray(), createGraph: true,
            unused: innerObjectiveChecked ? UnusedInput.Zero : UnusedInput.Throw);
        innerObjectiveChecked = true;
        return Concatenate(grads);
    }

    // The flat vector of per-variable 1-D parts, in set order.
    static Tensor Concatenate(Tensor[] parts) => parts.Length == 1 ? parts[0] : cat(parts, 0);

    Tensor CheckMapOutput(Tensor next)
    {
        if (next is null || next.IsInvalid || next.dim() != 1 || next.numel() != inner.Size || next.dtype != inner.DType)
            throw new HypergradException(
                $"The fixed-point map must return the next inner iterate as a flat {inner.DType} tensor of {inner.Size} values laid out like the inner set " +
                $"({string.Join(", ", inner.Names)}), but returned {(next is null || next.IsInvalid ? "a null or disposed tensor" : $"{next.dtype} [{string.Join(", ", next.shape)}]")}.");
        return next;
    }
}
