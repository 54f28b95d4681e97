using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace Hypergrad.Generators.Extraction;

/// <summary>
/// The accessibility of the generated members: public unless a batch type is less accessible (CS0051 otherwise):
/// internal for an internal type, private for a private or protected one.
/// </summary>
internal static class Accessibilities
{
    public static string MemberKeyword(IEnumerable<ITypeSymbol> batchTypes)
    {
        int level = batchTypes.Select(Level).DefaultIfEmpty(Public).Min();
        return level switch { Public => "public", Internal => "internal", _ => "private" };
    }

    /// <summary>True when <paramref name="type"/> is or contains <c>dynamic</c>, which no implemented interface's type argument may (CS1966).</summary>
    public static bool ContainsDynamic(ITypeSymbol type) => type switch
    {
        IDynamicTypeSymbol => true,
        IArrayTypeSymbol array => ContainsDynamic(array.ElementType),
        INamedTypeSymbol named => named.TypeArguments.Any(ContainsDynamic),
        _ => false,
    };

    private const int Private = 0, Internal = 1, Public = 2;

    /// <summary>How widely <paramref name="type"/> is visible, from the type, its containing types and its type arguments.</summary>
    private static int Level(ITypeSymbol type) => type switch
    {
        IArrayTypeSymbol array => Level(array.ElementType),
        IPointerTypeSymbol pointer => Level(pointer.PointedAtType),
        INamedTypeSymbol named => new[] { Own(named) }
            .Concat(named.TypeArguments.Select(Level))
            .Concat(named.ContainingType is { } outer ? new[] { Level(outer) } : new int[0])
            .Min(),
        ITypeParameterSymbol => Private,
        _ => Public,
    };

    private static int Own(INamedTypeSymbol type) => type.DeclaredAccessibility switch
    {
        Accessibility.Public => Public,
        Accessibility.Internal or Accessibility.ProtectedOrInternal => Internal,
        Accessibility.NotApplicable => Public,
        _ => Private,
    };
}
