// THE composition rules for BOAT-style operations, in one place. This file deliberately uses only the
// BCL available to netstandard2.0 (no TorchSharp, records, init accessors, ranges), so the analyzers can
// link it and report an invalid composition at compile time with the same words the runtime throws.
using System.Collections.Generic;
using System.Linq;

namespace Hypergrad.Unrolled;

/// <summary>Where an operation sits in a composition; operations are listed stage by stage.</summary>
internal enum OperationStage
{
    /// <summary>How the inner steps are taken: GDA, DI, DM.</summary>
    InnerDynamics,
    /// <summary>Which part of the trajectory is differentiated: PTT, FOA, RGT.</summary>
    Trajectory,
    /// <summary>How the hypergradient is formed: IAD, RAD, FD, IGA.</summary>
    Hypergradient,
    /// <summary>A linear solve at the selected iterate: CG, NS.</summary>
    Implicit,
}

/// <summary>A broken composition rule: which rule, and a message that says what would be valid.</summary>
internal sealed class CompositionViolation
{
    /// <summary>Creates a violation.</summary>
    public CompositionViolation(string rule, string message) { Rule = rule; Message = message; }

    /// <summary>The rule's short name, e.g. "stage order".</summary>
    public string Rule { get; }

    /// <summary>The full message: the composition, the rule it breaks and what would be valid.</summary>
    public string Message { get; }

    /// <inheritdoc/>
    public override string ToString() => Message;
}

/// <summary>
/// Which lists of <see cref="Operation"/>s form a valid hypergradient computation (BOAT's rules, made
/// explicit). <see cref="Validate"/> is called before anything runs; the analyzers call the same code.
/// </summary>
internal static class CompositionRules
{
    /// <summary>BOAT's abbreviation of <paramref name="operation"/>, e.g. "RAD".</summary>
    public static string Abbreviation(Operation operation)
    {
        switch (operation)
        {
            case Operation.GradientDescentAggregation: return "GDA";
            case Operation.DynamicInitialization: return "DI";
            case Operation.DualMultiplier: return "DM";
            case Operation.PessimisticTrajectoryTruncation: return "PTT";
            case Operation.FirstOrder: return "FOA";
            case Operation.TruncatedUnroll: return "RGT";
            case Operation.InitializationUnroll: return "IAD";
            case Operation.ReverseUnroll: return "RAD";
            case Operation.FiniteDifference: return "FD";
            case Operation.GradientAlignment: return "IGA";
            case Operation.ConjugateGradient: return "CG";
            case Operation.Neumann: return "NS";
            default: return operation.ToString();
        }
    }

    /// <summary>The stage of <paramref name="operation"/>.</summary>
    public static OperationStage StageOf(Operation operation)
    {
        switch (operation)
        {
            case Operation.GradientDescentAggregation:
            case Operation.DynamicInitialization:
            case Operation.DualMultiplier: return OperationStage.InnerDynamics;
            case Operation.PessimisticTrajectoryTruncation:
            case Operation.FirstOrder:
            case Operation.TruncatedUnroll: return OperationStage.Trajectory;
            case Operation.InitializationUnroll:
            case Operation.ReverseUnroll:
            case Operation.FiniteDifference:
            case Operation.GradientAlignment: return OperationStage.Hypergradient;
            case Operation.ConjugateGradient:
            case Operation.Neumann: return OperationStage.Implicit;
            default: throw new System.ArgumentOutOfRangeException(nameof(operation), operation, $"{(int)operation} is not a Hypergrad.Operation.");
        }
    }

    /// <summary>
    /// The composition equivalent to an unrolled <see cref="Method"/> (reverse with recompute is reverse
    /// unroll with a different memory strategy), or null for implicit methods, which are not compositions.
    /// </summary>
    public static Operation[]? OperationsFor(Method method)
    {
        switch (method)
        {
            case Method.ReverseUnroll:
            case Method.ReverseRecompute: return new[] { Operation.ReverseUnroll };
            case Method.TruncatedUnroll: return new[] { Operation.TruncatedUnroll, Operation.ReverseUnroll };
            case Method.PessimisticTrajectoryTruncation: return new[] { Operation.PessimisticTrajectoryTruncation, Operation.ReverseUnroll };
            case Method.FirstOrder: return new[] { Operation.FirstOrder, Operation.ReverseUnroll };
            case Method.FiniteDifference: return new[] { Operation.FiniteDifference };
            case Method.GradientAlignment: return new[] { Operation.GradientAlignment };
            default: return null;
        }
    }

    /// <summary>"IAD → CG" style text for messages.</summary>
    public static string Describe(IEnumerable<Operation> operations) =>
        "[" + string.Join(", ", operations.Select(o => o + " (" + Abbreviation(o) + ")")) + "]";

    /// <summary>
    /// The first rule <paramref name="operations"/> breaks, or null when the composition is valid.
    /// </summary>
    /// <param name="operations">The operations in the order given.</param>
    /// <param name="unrollSteps">Inner steps per hypergradient (T).</param>
    /// <param name="truncation">Steps differentiated by TruncatedUnroll (K; 0: unset); ignored without it.</param>
    /// <param name="aggregationAlpha">GDA's α₀; ignored without GDA.</param>
    /// <param name="aggregationDecay">GDA's decay; ignored without GDA.</param>
    public static CompositionViolation? Validate(IReadOnlyList<Operation> operations, int unrollSteps,
        int truncation = 0, double aggregationAlpha = 0.5, double aggregationDecay = 1.0)
    {
        string list = Describe(operations);
        bool Has(Operation o) => operations.Contains(o);
        CompositionViolation Broken(string rule, string why) => new CompositionViolation(rule, $"The composition {list} breaks the rule '{rule}': {why}");

        var hypergradientOps = operations.Where(o => StageOf(o) >= OperationStage.Hypergradient).ToList();
        if (hypergradientOps.Count == 0)
            return Broken("a composition computes a hypergradient",
                "it has no hypergradient operation. Add one of ReverseUnroll (RAD), InitializationUnroll (IAD), FiniteDifference (FD), GradientAlignment (IGA), ConjugateGradient (CG) or Neumann (NS), e.g. " +
                Describe(operations.Concat(new[] { Operation.ReverseUnroll })) + ".");

        var repeated = operations.GroupBy(o => o).FirstOrDefault(g => g.Count() > 1);
        if (repeated != null)
            return Broken("each operation at most once", $"{repeated.Key} ({Abbreviation(repeated.Key)}) appears {repeated.Count()} times; list it once.");

        for (int i = 1; i < operations.Count; i++)
            if (StageOf(operations[i]) < StageOf(operations[i - 1]))
                return Broken("stage order",
                    $"{operations[i]} ({Abbreviation(operations[i])}) comes after {operations[i - 1]} ({Abbreviation(operations[i - 1])}). " +
                    "Operations go inner dynamics (GDA, DI, DM), then trajectory (PTT, FOA, RGT), then hypergradient (IAD, RAD, FD, IGA), then implicit (CG, NS): write " +
                    Describe(operations.OrderBy(o => (int)StageOf(o)).ThenBy(o => (int)o)) + ".");

        foreach (var terminal in new[] { Operation.ReverseUnroll, Operation.FiniteDifference, Operation.GradientAlignment })
        {
            var others = hypergradientOps.Where(o => o != terminal).ToList();
            if (Has(terminal) && others.Count > 0)
                return Broken("RAD, FD and IGA come last, alone",
                    $"{terminal} ({Abbreviation(terminal)}) forms the final hypergradient itself, so it cannot be combined with {Describe(others)}. " +
                    $"Keep only one of them, e.g. {Describe(operations.Where(o => !others.Contains(o)))}.");
        }

        if (Has(Operation.ConjugateGradient) && Has(Operation.Neumann))
            return Broken("one implicit solve", "ConjugateGradient (CG) and Neumann (NS) both solve the same linear system; keep one.");

        var trajectory = operations.Where(o => StageOf(o) == OperationStage.Trajectory).ToList();
        if (trajectory.Count > 1)
            return Broken("PTT, FOA and RGT exclude each other",
                $"{Describe(trajectory)} each decide which part of the trajectory is differentiated; keep one.");

        if ((Has(Operation.PessimisticTrajectoryTruncation) || Has(Operation.TruncatedUnroll)) &&
            (Has(Operation.FiniteDifference) || Has(Operation.GradientAlignment)))
            return Broken("truncation needs a differentiated trajectory",
                $"{trajectory[0]} ({Abbreviation(trajectory[0])}) selects steps to differentiate, but FiniteDifference (FD) and GradientAlignment (IGA) use only the final iterate. " +
                "Combine it with ReverseUnroll (RAD), InitializationUnroll (IAD), ConjugateGradient (CG) or Neumann (NS).");

        if (Has(Operation.FirstOrder) && !(Has(Operation.ReverseUnroll) || Has(Operation.InitializationUnroll)) ||
            Has(Operation.FirstOrder) && (Has(Operation.ConjugateGradient) || Has(Operation.Neumann)))
            return Broken("FOA approximates an unroll",
                "FirstOrder (FOA) treats the inner gradients of an unroll as constants, so it needs ReverseUnroll (RAD) or InitializationUnroll (IAD) alone after it, " +
                "e.g. [FirstOrder (FOA), InitializationUnroll (IAD)] for first-order MAML.");

        if (Has(Operation.DynamicInitialization) && Has(Operation.InitializationUnroll))
            return Broken("DI and IAD exclude each other",
                "both learn the inner initialization. Use InitializationUnroll (IAD) when the initialization is the outer variable (MAML), " +
                "DynamicInitialization (DI) when it is learned alongside other outer variables.");

        if (Has(Operation.DualMultiplier))
        {
            var rest = operations.Where(o => StageOf(o) != OperationStage.InnerDynamics).ToList();
            if (!(rest.Count == 1 && (rest[0] == Operation.ReverseUnroll || rest[0] == Operation.ConjugateGradient)))
                return Broken("DM works with RAD or CG alone",
                    $"DualMultiplier (DM) updates its multiplier with a fixed step (with RAD) or an exact line search (with CG), but it is combined with {Describe(rest)}. " +
                    "Write [DualMultiplier (DM), ReverseUnroll (RAD)] or [DualMultiplier (DM), ConjugateGradient (CG)].");
            if (unrollSteps != 1)
                return Broken("DM takes one inner step", $"DualMultiplier (DM) interleaves one inner step with one multiplier step, but UnrollSteps is {unrollSteps}; set UnrollSteps = 1.");
        }

        if (unrollSteps < 1)
            return Broken("at least one inner step", $"UnrollSteps is {unrollSteps}; set it to 1 or more.");

        if (Has(Operation.TruncatedUnroll) && OptionRules.WhyTruncationInvalid(truncation == 0 ? null : truncation, unrollSteps) is { } truncationProblem)
            return Broken("0 < Truncation < UnrollSteps", $"Truncation = {truncation}: {truncationProblem}.");

        if (Has(Operation.GradientDescentAggregation))
            foreach (var (rule, value) in new[] { (OptionRules.AggregationAlpha, aggregationAlpha), (OptionRules.AggregationDecay, aggregationDecay) })
                if (rule.WhyInvalid(new OptionContext(Method.ReverseUnroll, operations, false), value) is { } reason)
                    return Broken("GDA weights in range", rule.Message(value, reason) + ".");

        return null;
    }
}
