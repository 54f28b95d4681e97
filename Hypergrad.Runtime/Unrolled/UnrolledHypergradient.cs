using System;
using System.Collections.Generic;
using System.Linq;
using Hypergrad.Autograd;
using Hypergrad.Optimizers;
using Hypergrad.Parameters;
using TorchSharp;
using static TorchSharp.torch;

namespace Hypergrad.Unrolled;

/// <summary>
/// Hypergradients by differentiating through the inner optimization: the iterative methods of
/// <see cref="Method"/> and BOAT-style compositions of <see cref="Operation"/>s.
/// </summary>
public static class UnrolledHypergradient
{
    /// <summary>
    /// Computes the hypergradient with an iterative method (ReverseUnroll, ReverseRecompute, TruncatedUnroll,
    /// PessimisticTrajectoryTruncation, FirstOrder, FiniteDifference, GradientAlignment).
    /// </summary>
    public static HypergradientResult Compute(UnrolledProblem problem, Method method, UnrolledOptions? options = null)
    {
        var operations = CompositionRules.OperationsFor(method)
            ?? throw new HypergradException($"{method} is an implicit method; call the implicit engine for it. The iterative methods are " +
                string.Join(", ", Enum.GetValues<Method>().Where(m => CompositionRules.OperationsFor(m) is not null)) + ".");
        options ??= new UnrolledOptions();
        if (method == Method.ReverseRecompute)
        {
            Validate(operations, options);
            return ReverseRecompute.Compute(new UnrollSession(problem, options, Aggregate: false));
        }
        return Compose(problem, operations, options, method);
    }

    /// <summary>
    /// Computes the hypergradient of a BOAT-style composition, e.g. [GradientDescentAggregation, ReverseUnroll]
    /// or [FirstOrder, InitializationUnroll]. The composition is checked against <see cref="CompositionRules"/>
    /// before anything runs.
    /// </summary>
    /// <remarks>
    /// Gradients in the result: one per outer variable (in outer-set order), then, with DynamicInitialization or
    /// InitializationUnroll (not followed by CG/NS), one per inner variable (named like it) for the initialization.
    /// </remarks>
    public static HypergradientResult Compose(UnrolledProblem problem, IReadOnlyList<Operation> operations, UnrolledOptions? options = null) =>
        Compose(problem, operations, options ?? new UnrolledOptions(), null);

    static HypergradientResult Compose(UnrolledProblem problem, IReadOnlyList<Operation> operations, UnrolledOptions options, Method? method)
    {
        Validate(operations, options);
        bool Has(Operation o) => operations.Contains(o);
        if (Has(Operation.DualMultiplier))
            throw new HypergradException($"The composition {CompositionRules.Describe(operations)} keeps a dual multiplier across outer steps: " +
                "create one DualMultiplierHypergradient for the problem and call its Compute at every outer step.");
        Method? implicitMethod = Has(Operation.ConjugateGradient) ? Method.ConjugateGradient : Has(Operation.Neumann) ? Method.Neumann : null;
        // dF/dw₀ is returned with DI, and with IAD unless an implicit solve follows (then, as in iMAML, the
        // meta-initialization is an outer variable that the inner objective uses, and the solve differentiates it).
        bool initialization = Has(Operation.DynamicInitialization) || Has(Operation.InitializationUnroll) && implicitMethod is null;
        if (problem.Outer is null && !initialization)
            throw new HypergradException($"The composition {CompositionRules.Describe(operations)} differentiates with respect to outer variables, but the problem has none; " +
                "pass the outer parameter set, or add InitializationUnroll (IAD) to differentiate with respect to the inner initialization (MAML).");

        var session = new UnrollSession(problem, options, Has(Operation.GradientDescentAggregation));
        int steps = options.InnerSteps;
        bool firstOrder = Has(Operation.FirstOrder);
        bool finalIterateOnly = Has(Operation.FiniteDifference) || Has(Operation.GradientAlignment) || implicitMethod is not null;
        int firstTracked =
            Has(Operation.DynamicInitialization) ? 0 :
            firstOrder || finalIterateOnly ? steps :
            Has(Operation.TruncatedUnroll) ? steps - options.TruncationSteps : 0;
        var resultMethod = method ?? MethodOf(operations);

        var solver = implicitMethod is { } m ? ImplicitAtIterate.SolverFor(session, m) : null;

        using var enableGrad = enable_grad();
        using var scope = NewDisposeScope();
        var trajectory = Trajectory.Run(session, new Trajectory.Plan(firstTracked, RecordOuterLosses: Has(Operation.PessimisticTrajectoryTruncation)));
        int selected = Has(Operation.PessimisticTrajectoryTruncation) ? 1 + ArgMax(trajectory.OuterLosses) : steps;
        var w = trajectory.Iterates[selected];

        var outer = VariableList.Of(problem.Outer);
        var firstOrderLeaf = firstOrder ? trajectory.Final.detach().requires_grad_(true) : null;
        var differentiated = firstOrderLeaf ?? w;
        var warnings = new List<string>();
        var inputs = outer.From(0);
        if (initialization) inputs.AddFlat(problem.Inner, firstOrderLeaf ?? trajectory.Start);

        Tensor[] gradients;
        HypergradientResult? certificate = null;
        if (finalIterateOnly)
        {
            if (solver is not null) certificate = ImplicitAtIterate.Compute(session, w, solver);
            var outerGradients =
                certificate is not null ? certificate.Gradients.Select(g => g.Tensor).ToArray() :
                Has(Operation.FiniteDifference) ? FinalIterateMethods.FiniteDifference(session, trajectory, outer, warnings) :
                FinalIterateMethods.GradientAlignment(session, trajectory, outer, warnings);
            var start = initialization ? GradientsOrZero(session.OuterLoss(w), inputs.From(outer.Count), warnings) : [];
            gradients = [.. outerGradients, .. start];
        }
        else gradients = GradientsOrZero(session.OuterLoss(differentiated), inputs, warnings);

        return Finish(session, trajectory, inputs, gradients, warnings, resultMethod, differentiatedSteps: steps - Math.Min(firstTracked, steps), Describe(operations, options), certificate);
    }

    /// <summary>∂loss/∂inputs; zeros (with a warning) when the loss depends on none of them.</summary>
    internal static Tensor[] GradientsOrZero(Tensor loss, VariableList inputs, List<string> warnings)
    {
        if (inputs.Count == 0) return [];
        if (loss.requires_grad)
            return Gradients.Of(loss, "outer objective", inputs.Tensors, inputs.Names, unused: UnusedInput.Zero);
        warnings.Add($"The outer objective does not depend on {string.Join(", ", inputs.Names)} through the differentiated steps: their hypergradient is zero.");
        return inputs.Tensors.Select(t => zeros_like(t)).ToArray();
    }

    /// <summary>Names the hypergradients, checks them, and certifies them: what they are (<see cref="HypergradientKind"/>) and whether the final iterate is stationary.</summary>
    internal static HypergradientResult Finish(UnrollSession session, Trajectory trajectory, VariableList inputs, Tensor[] gradients, List<string> warnings,
        Method method, int differentiatedSteps, (HypergradientKind Kind, string? Approximation) description, HypergradientResult? certificate = null)
    {
        var (problem, options) = (session.Problem, session.Options);
        if (certificate is not null) warnings.AddRange(certificate.Warnings);
        var named = new List<NamedTensor>();
        foreach (var (name, gradient) in inputs.Name(gradients))
        {
            if (!gradient.isfinite().all().item<bool>())
                throw new HypergradException(
                    $"The hypergradient of '{name}' contains NaN or Inf ({method}, {options.InnerSteps} inner steps). " +
                    "Causes: an inner step size so large that the unrolled map explodes, or an Adam-type inner optimizer at an exactly zero gradient (set epsRoot, e.g. 1e-12).");
            if (!warnings.Any(w => w.Contains(name)) && gradient.count_nonzero().item<long>() == 0)
                warnings.Add($"The hypergradient of '{name}' is exactly zero: neither objective depends on it through the differentiated steps.");
            named.Add(new NamedTensor(name, gradient.detach().clone().MoveToOuterDisposeScope()));
        }

        double stationarity = Stationarity(session, trajectory);
        bool stationary = stationarity <= options.Tolerance;
        if (description.Approximation is { } approximation) warnings.Add($"{method} is an approximation: {approximation}");
        if (!stationary)
            warnings.Add($"The final inner iterate is not stationary: ‖∇_w g(w_T)‖/‖∇_w g(w_0)‖ = {stationarity:G3} > tolerance {options.Tolerance:G3} after {options.InnerSteps} inner steps. " +
                description.Kind switch
                {
                    HypergradientKind.ExactForUnrolledSteps => $"The hypergradient is exact for these {options.InnerSteps} steps, not the implicit hypergradient at an inner solution.",
                    HypergradientKind.Implicit => "The implicit formula was evaluated away from an inner solution.",
                    _ => "",
                } + " More inner steps (or a larger inner learning rate) get closer.");

        if (options.CopyFinalIterate)
            using (no_grad()) problem.Inner.Flat.copy_(trajectory.Final);
        bool converged = stationary && (certificate?.Converged ?? true);
        return certificate is null
            ? new HypergradientResult(method, named, differentiatedSteps, double.NaN, differentiatedSteps, converged, warnings, description.Kind, stationarity, description.Approximation)
            : new HypergradientResult(method, named, certificate.Iterations, certificate.RelativeResidual, certificate.HessianVectorProducts, converged, warnings,
                description.Kind, stationarity, description.Approximation);
    }

    /// <summary>‖∇_w g(w_T)‖/‖∇_w g(w_0)‖ (the last step's objective at w_T, the first step's at w₀); 0 when both vanish.</summary>
    internal static double Stationarity(UnrollSession session, Trajectory trajectory)
    {
        double final = session.InnerGradientNorm(trajectory.Final, session.Options.InnerSteps - 1);
        double initial = trajectory.InitialGradientNorm;
        return final == 0 ? 0 : initial == 0 ? double.PositiveInfinity : final / initial;
    }

    /// <summary>What a composition's number is (docs/methods.md, "Certificates"), and for approximations what they leave out.</summary>
    internal static (HypergradientKind Kind, string? Approximation) Describe(IReadOnlyList<Operation> operations, UnrolledOptions options)
    {
        bool Has(Operation o) => operations.Contains(o);
        if (Has(Operation.FirstOrder))
            return (HypergradientKind.Approximation, "the inner gradients are treated as constants, so the dependence of the final iterate on the outer variables is dropped (only ∂F/∂λ at w_T is kept).");
        if (Has(Operation.FiniteDifference))
            return (HypergradientKind.Approximation, $"only the last inner step's dependence on the outer variables is kept, and its second-order term is a central difference (radius {options.FiniteDifferenceRadius:G3}).");
        if (Has(Operation.GradientAlignment))
            return (HypergradientKind.Approximation, "the implicit term is replaced by c·∇_λg with c = ⟨∇_wF, ∇_wg⟩/‖∇_wg‖² at w_T, which is exact only when the two are aligned.");
        if (Has(Operation.TruncatedUnroll))
            return (HypergradientKind.Approximation, $"only the last {options.TruncationSteps} of {options.InnerSteps} inner steps are differentiated; the earlier steps' dependence on the outer variables is dropped.");
        if (Has(Operation.PessimisticTrajectoryTruncation))
            return (HypergradientKind.Approximation, "F is differentiated at the inner iterate with the largest outer loss, not at the final one.");
        if (Has(Operation.ConjugateGradient) || Has(Operation.Neumann)) return (HypergradientKind.Implicit, null);
        return (HypergradientKind.ExactForUnrolledSteps, null);
    }

    static int ArgMax(List<double> values)
    {
        int best = 0;
        for (int i = 1; i < values.Count; i++) if (values[i] > values[best]) best = i;
        return best;
    }

    static Method MethodOf(IReadOnlyList<Operation> operations) =>
        operations.Contains(Operation.FiniteDifference) ? Method.FiniteDifference :
        operations.Contains(Operation.GradientAlignment) ? Method.GradientAlignment :
        operations.Contains(Operation.ConjugateGradient) ? Method.ConjugateGradient :
        operations.Contains(Operation.Neumann) ? Method.Neumann :
        operations.Contains(Operation.FirstOrder) ? Method.FirstOrder :
        operations.Contains(Operation.TruncatedUnroll) ? Method.TruncatedUnroll :
        operations.Contains(Operation.PessimisticTrajectoryTruncation) ? Method.PessimisticTrajectoryTruncation :
        Method.ReverseUnroll;

    internal static void Validate(IReadOnlyList<Operation> operations, UnrolledOptions options)
    {
        var violation = CompositionRules.Validate(operations, options.InnerSteps, options.TruncationSteps, options.AggregationAlpha, options.AggregationDecay);
        if (violation is not null) throw new HypergradException(violation.Message);
        if (!(options.Tolerance >= 0) || double.IsPositiveInfinity(options.Tolerance))
            throw new HypergradException($"UnrolledOptions.Tolerance is {options.Tolerance}; set it to a finite, non-negative bound on ‖∇_w g(w_T)‖/‖∇_w g(w_0)‖ (default 1e-6).");
    }
}
