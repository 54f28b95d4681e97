using System;
using System.Collections.Generic;
using System.Linq;
using Hypergrad.Autograd;
using Hypergrad.Optimizers;
using Hypergrad.Parameters;
using static TorchSharp.torch;

namespace Hypergrad.Unrolled;

/// <summary>
/// BOAT's DualMultiplier (DM) operation: a multiplier v ≈ H⁻¹∇_wF that lives across outer steps. Each
/// <see cref="Compute"/> returns ∇_λF − (∂²_{λw}g)·v at the current inner variables, then improves v by one
/// step on ½vᵀHv − vᵀ∇_wF (a fixed step with ReverseUnroll, an exact line search with ConjugateGradient) and
/// takes one inner step on the inner variables in place (DM interleaves the two levels).
/// </summary>
public sealed class DualMultiplierHypergradient : IDisposable
{
    readonly UnrolledProblem problem;
    readonly UnrolledOptions options;
    readonly bool aggregate;
    readonly bool lineSearch;
    readonly VariableList outer;
    OptimizerState? innerState;
    Tensor? multiplier;
    int outerSteps;
    double initialGradientNorm = double.NaN;   // ‖∇_w g‖ at the first Compute: the scale of the inner stationarity

    /// <summary>Creates the operation for a composition such as [DualMultiplier, ConjugateGradient] (checked here, before anything runs).</summary>
    /// <param name="problem">The problem; its inner variables are updated in place by every <see cref="Compute"/>.</param>
    /// <param name="operations">DualMultiplier with ReverseUnroll or ConjugateGradient (and optionally GradientDescentAggregation).</param>
    /// <param name="multiplierStepSize">The fixed step of the multiplier update with ReverseUnroll.</param>
    /// <param name="options">UnrollSteps must be 1; GDA settings are used with GradientDescentAggregation.</param>
    public DualMultiplierHypergradient(UnrolledProblem problem, IReadOnlyList<Operation> operations, double multiplierStepSize = 0.1, UnrolledOptions? options = null)
    {
        options ??= new UnrolledOptions { UnrollSteps = 1 };
        if (!operations.Contains(Operation.DualMultiplier))
            throw new HypergradException($"DualMultiplierHypergradient runs compositions with DualMultiplier (DM), not {CompositionRules.Describe(operations)}; use UnrolledHypergradient.Compose for those.");
        UnrolledHypergradient.Validate(operations, options);
        if (problem.Outer is null)
            throw new HypergradException("DualMultiplier differentiates with respect to outer variables, but the problem has none; pass the outer parameter set.");
        if (!(multiplierStepSize > 0))
            throw new HypergradException($"DualMultiplier: multiplierStepSize must be positive, not {multiplierStepSize}.");
        this.problem = problem;
        this.options = options;
        aggregate = operations.Contains(Operation.GradientDescentAggregation);
        lineSearch = operations.Contains(Operation.ConjugateGradient);
        MultiplierStepSize = multiplierStepSize;
        outer = VariableList.Of(problem.Outer);
    }

    /// <summary>The fixed multiplier step (with ReverseUnroll).</summary>
    public double MultiplierStepSize { get; }

    /// <summary>The current multiplier v (flat, laid out like the inner variables), or null before the first step.</summary>
    public Tensor? Multiplier => multiplier;

    /// <summary>One outer step: the hypergradient with the current multiplier, then one multiplier step and one inner step.</summary>
    /// <remarks>Compute number k (from 0) takes DM's inner step k: it evaluates the problem's inner objective of step k.</remarks>
    public HypergradientResult Compute()
    {
        // A session per call: step k's objective (its batch) is drawn once here and not kept for later calls.
        var session = new UnrollSession(problem, options, aggregate);
        using var enableGrad = enable_grad();
        using var scope = NewDisposeScope();
        var w = problem.Inner.CreateLeaf();
        var v = multiplier ?? zeros_like(w);
        var innerGradient = session.InnerGradient(w, outerSteps, createGraph: true);
        double gradientNormNow = aggregate ? session.InnerGradientNorm(w, outerSteps) : innerGradient.detach().norm().to_type(ScalarType.Float64).item<double>();
        var direct = Gradients.Of(session.OuterLoss(w), "outer objective", [w, .. outer.Tensors], ["inner variables", .. outer.Names], unused: UnusedInput.Zero);
        var products = Gradients.VectorJacobianProduct([innerGradient], "gradient of the inner objective", [v], [w, .. outer.Tensors], ["inner variables", .. outer.Names]);
        var gradients = outer.Tensors.Select((_, i) => direct[1 + i] - products[1 + i]).ToArray();

        // v ← v − step·(Hv − ∇_wF): the step is fixed (RAD) or the exact minimiser along the residual (CG).
        var residual = products[0] - direct[0];
        double residualNorm = residual.norm().item<double>(), rhsNorm = direct[0].norm().item<double>();
        int hvps = 2;
        double step = MultiplierStepSize;
        if (lineSearch && residualNorm > 0)
        {
            var curvature = Gradients.VectorJacobianProduct([innerGradient], "gradient of the inner objective", [residual], [w], ["inner variables"])[0];
            step = residualNorm * residualNorm / (residual.dot(curvature).item<double>() + 1e-30);
            hvps++;
        }
        var next = (v - residual.Scaled(step)).detach();
        if (!next.isfinite().all().item<bool>())
            throw new HypergradException("DualMultiplier: the multiplier became NaN or Inf; the inner Hessian is not positive definite here, or multiplierStepSize is too large.");
        multiplier?.Dispose();
        multiplier = next.DetachFromDisposeScope();

        // The inner step, in place on the user's variables (as BOAT's DM does).
        // The state outlives this call's dispose scope: it carries momentum and moments to the next outer step.
        innerState ??= problem.InnerOptimizer.Init([problem.Inner.Flat]).DetachFromDisposeScope();
        problem.InnerOptimizer.StepInPlace([problem.Inner.Flat], [innerGradient.detach()], innerState);
        outerSteps++;

        var named = outer.Name(gradients).Select(g => new NamedTensor(g.Name, g.Tensor.detach().clone().MoveToOuterDisposeScope())).ToList();
        foreach (var g in named)
            if (!g.Tensor.isfinite().all().item<bool>())
                throw new HypergradException($"DualMultiplier: the hypergradient of '{g.Name}' contains NaN or Inf; check the objectives at the current inner variables.");
        // The certificate: the multiplier used solves Hv = ∇_wF to the tolerance, at an inner iterate that is stationary to
        // the tolerance (relative to the first Compute's gradient); then the number is the implicit hypergradient.
        double relative = rhsNorm == 0 ? 0 : residualNorm / rhsNorm;
        double gradientNorm = gradientNormNow;
        if (double.IsNaN(initialGradientNorm)) initialGradientNorm = gradientNorm;
        double stationarity = gradientNorm == 0 ? 0 : initialGradientNorm == 0 ? double.PositiveInfinity : gradientNorm / initialGradientNorm;
        var warnings = new List<string>();
        if (relative > options.Tolerance)
            warnings.Add($"DualMultiplier: the multiplier's relative residual ‖Hv − ∇_wF‖/‖∇_wF‖ = {relative:G3} > tolerance {options.Tolerance:G3} (one multiplier step per outer step; it improves as the run goes on).");
        if (stationarity > options.Tolerance)
            warnings.Add($"DualMultiplier: the inner variables are not stationary yet: ‖∇_w g‖ = {stationarity:G3} of its value at the first outer step > tolerance {options.Tolerance:G3}.");
        return new HypergradientResult(lineSearch ? Method.ConjugateGradient : Method.ReverseUnroll, named, 1, relative, hvps,
            converged: relative <= options.Tolerance && stationarity <= options.Tolerance, warnings, HypergradientKind.Implicit, stationarity);
    }

    /// <summary>Frees the multiplier and the inner optimizer's state.</summary>
    public void Dispose()
    {
        multiplier?.Dispose();
        innerState?.DisposeTensors();
    }
}
