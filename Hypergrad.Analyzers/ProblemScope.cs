using System.Linq;
using Hypergrad.Generators.Extraction;
using Microsoft.CodeAnalysis;

namespace Hypergrad.Analyzers;

/// <summary>
/// The parts of a <c>[Hypergradient]</c> class that body analyzers need: its tracked variables, the methods
/// Hypergrad differentiates, and whether the chosen method differentiates through the inner steps.
/// </summary>
internal sealed class ProblemScope
{
    private ProblemScope(INamedTypeSymbol type, ISymbol[] inner, ISymbol[] outer, IMethodSymbol[] innerObjectives,
        IMethodSymbol[] outerObjectives, IMethodSymbol[] innerSteps, bool unrolled)
    {
        Type = type;
        Inner = inner;
        Outer = outer;
        InnerObjectives = innerObjectives;
        OuterObjectives = outerObjectives;
        InnerSteps = innerSteps;
        Unrolled = unrolled;
    }

    public INamedTypeSymbol Type { get; }
    public ISymbol[] Inner { get; }
    public ISymbol[] Outer { get; }
    public IMethodSymbol[] InnerObjectives { get; }
    public IMethodSymbol[] OuterObjectives { get; }
    public IMethodSymbol[] InnerSteps { get; }

    /// <summary>The chosen method differentiates through the inner steps (reverse unroll, …).</summary>
    public bool Unrolled { get; }

    /// <summary>The scope of <paramref name="type"/>, or null when it is not a <c>[Hypergradient]</c> class.</summary>
    public static ProblemScope? For(INamedTypeSymbol type)
    {
        var attribute = type.GetAttributes().FirstOrDefault(a => KnownNames.NameOf(a) == KnownNames.HypergradientAttribute);
        if (attribute is null) return null;
        bool unrolled = attribute.ConstructorArguments.Length == 1 && attribute.ConstructorArguments[0].Value is int method
            && System.Enum.IsDefined(typeof(Method), method) && MethodFamilies.IsUnrolled((Method)method);
        return new ProblemScope(type,
            MemberLookup.MembersWith(type, KnownNames.InnerAttribute),
            MemberLookup.MembersWith(type, KnownNames.OuterAttribute),
            // A [FixedPointMap] takes the inner objective's place: differentiated, and one of the places outer variables act.
            MemberLookup.MethodsWith(type, KnownNames.InnerObjectiveAttribute).Concat(MemberLookup.MethodsWith(type, KnownNames.FixedPointMapAttribute)).ToArray(),
            MemberLookup.MethodsWith(type, KnownNames.OuterObjectiveAttribute),
            MemberLookup.MethodsWith(type, KnownNames.InnerStepAttribute),
            unrolled);
    }

    /// <summary>True when <paramref name="member"/> is an [Inner] or [Outer] variable of this class.</summary>
    public bool IsTracked(ISymbol member) =>
        Inner.Contains(member.OriginalDefinition, SymbolEqualityComparer.Default) || Outer.Contains(member.OriginalDefinition, SymbolEqualityComparer.Default);

    /// <summary>True when code in <paramref name="method"/> belongs to an objective or fixed-point map (lambdas included).</summary>
    public bool IsObjective(ISymbol? method) =>
        OwningMember(method) is IMethodSymbol symbol && InnerObjectives.Concat(OuterObjectives).Contains(symbol.OriginalDefinition, SymbolEqualityComparer.Default);

    /// <summary>
    /// True when code in <paramref name="method"/> is differentiated: the objectives always; for unrolled methods
    /// every ordinary method of the class (it may run between two outer steps). An [InnerStep] (implicit methods
    /// only) is not differentiated: it may update the variables in place.
    /// </summary>
    public bool IsDifferentiated(ISymbol? method)
    {
        if (OwningMember(method) is not IMethodSymbol symbol) return false;
        var definition = symbol.OriginalDefinition;
        if (InnerObjectives.Concat(OuterObjectives).Contains(definition, SymbolEqualityComparer.Default)) return true;
        return Unrolled && symbol.MethodKind is MethodKind.Ordinary or MethodKind.PropertyGet
            && SymbolEqualityComparer.Default.Equals(symbol.ContainingType, Type);
    }

    /// <summary>
    /// The member whose body contains code in <paramref name="symbol"/>: lambdas and local functions belong to the
    /// method (or accessor) that declares them, so code inside them counts as that method's.
    /// </summary>
    public static ISymbol? OwningMember(ISymbol? symbol)
    {
        while (symbol is IMethodSymbol { MethodKind: MethodKind.AnonymousFunction or MethodKind.LocalFunction } nested && nested.ContainingSymbol is not null)
            symbol = nested.ContainingSymbol;
        return symbol;
    }
}
