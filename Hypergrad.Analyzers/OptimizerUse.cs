using System.Collections.Generic;
using System.Linq;
using Hypergrad.Generators.Extraction;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace Hypergrad.Analyzers;

/// <summary>How code uses Hypergrad's differentiable optimizers: their type, and the [Outer] members an expression reads.</summary>
internal static class OptimizerUse
{
    public const string DifferentiableOptimizer = "Hypergrad.Optimizers.DifferentiableOptimizer";

    /// <summary>True for DifferentiableOptimizer and every class derived from it (the runtime's and the user's).</summary>
    public static bool IsDifferentiableOptimizer(ITypeSymbol? type) => KnownNames.IsOrDerivesFrom(type, DifferentiableOptimizer);

    /// <summary>True for a field or property carrying [Outer] (directly or through the member it overrides).</summary>
    public static bool IsOuterMember(ISymbol member) =>
        member is IFieldSymbol or IPropertySymbol && MemberLookup.HasThroughOverrides(member, KnownNames.OuterAttribute);

    /// <summary>The [Outer] members <paramref name="operation"/> reads anywhere, inside lambdas too.</summary>
    public static IEnumerable<ISymbol> OuterMembersIn(IOperation operation) =>
        new[] { operation }.Concat(operation.Descendants()).Select(ReferencedMember).Where(m => m is not null && IsOuterMember(m)).Select(m => m!.OriginalDefinition);

    /// <summary>The [Outer] members <paramref name="operation"/> reads when it is evaluated (not inside lambdas, which run later).</summary>
    public static IEnumerable<ISymbol> OuterMembersEvaluatedNow(IOperation operation)
    {
        var pending = new Stack<IOperation>();
        pending.Push(operation);
        while (pending.Count > 0)
        {
            var current = pending.Pop();
            if (current is IAnonymousFunctionOperation or IDelegateCreationOperation or ILocalFunctionOperation) continue;
            if (ReferencedMember(current) is { } member && IsOuterMember(member)) yield return member.OriginalDefinition;
            foreach (var child in current.ChildOperations) pending.Push(child);
        }
    }

    private static ISymbol? ReferencedMember(IOperation operation) => operation switch
    {
        IFieldReferenceOperation field => field.Field,
        IPropertyReferenceOperation property => property.Property,
        _ => null,
    };
}
