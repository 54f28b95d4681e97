using System.Collections.Generic;
using System.Linq;
using Hypergrad.Generators.Model;
using Microsoft.CodeAnalysis;

namespace Hypergrad.Generators.Extraction;

/// <summary>
/// Finds the members of a <c>[Hypergradient]</c> class that carry Hypergrad's attributes, including members
/// inherited from base classes (an override inherits the attribute of the member it overrides).
/// </summary>
internal static class MemberLookup
{
    /// <summary>The kind of a variable member's type, or null when it is not Module, Parameter or Tensor.</summary>
    public static VariableKind? KindOf(ITypeSymbol type) =>
        KnownNames.IsOrDerivesFrom(type, KnownNames.Module) ? VariableKind.Module
        : KnownNames.IsOrDerivesFrom(type, KnownNames.Parameter) ? VariableKind.Parameter
        : KnownNames.IsOrDerivesFrom(type, KnownNames.Tensor) ? VariableKind.Tensor
        : null;

    /// <summary>The methods of <paramref name="type"/> and its base classes carrying <paramref name="attributeName"/>, base first.</summary>
    public static IMethodSymbol[] MethodsWith(INamedTypeSymbol type, string attributeName) =>
        AllMembers(type).OfType<IMethodSymbol>().Where(m => HasThroughOverrides(m, attributeName)).ToArray();

    /// <summary>The fields and properties of <paramref name="type"/> and its base classes carrying <paramref name="attributeName"/>.</summary>
    public static ISymbol[] MembersWith(INamedTypeSymbol type, string attributeName) =>
        AllMembers(type).Where(m => m is IFieldSymbol or IPropertySymbol && HasThroughOverrides(m, attributeName)).ToArray();

    /// <summary>True when <paramref name="member"/> or a member it overrides carries <paramref name="attributeName"/>.</summary>
    public static bool HasThroughOverrides(ISymbol member, string attributeName)
    {
        for (ISymbol? current = member; current is not null;
             current = current is IMethodSymbol method ? method.OverriddenMethod : (current as IPropertySymbol)?.OverriddenProperty)
            if (KnownNames.Has(current, attributeName)) return true;
        return false;
    }

    /// <summary>
    /// The members of <paramref name="type"/> and of its base classes (base first, declaration order), without
    /// members a more derived class overrides: variables and objectives may be declared in a base class.
    /// </summary>
    public static IEnumerable<ISymbol> AllMembers(INamedTypeSymbol type)
    {
        var chain = new List<INamedTypeSymbol>();
        for (var current = type; current is not null && current.SpecialType != SpecialType.System_Object; current = current.BaseType)
            chain.Insert(0, current);
        var overridden = new HashSet<ISymbol>(SymbolEqualityComparer.Default);
        foreach (var member in chain.SelectMany(t => t.GetMembers()))
        {
            ISymbol? replaced = member switch
            {
                IMethodSymbol method => method.OverriddenMethod,
                IPropertySymbol property => property.OverriddenProperty,
                _ => null,
            };
            for (; replaced is not null; replaced = replaced is IMethodSymbol m ? m.OverriddenMethod : ((IPropertySymbol)replaced).OverriddenProperty)
                overridden.Add(replaced.OriginalDefinition);
        }
        return chain.SelectMany(t => t.GetMembers()).Where(m => !overridden.Contains(m.OriginalDefinition));
    }

    /// <summary>The <c>InitializedFrom</c> of a member's [Inner] attribute (the outer member it is reset to), or null.</summary>
    public static string? InitializedFrom(ISymbol member)
    {
        foreach (var attribute in member.GetAttributes())
            if (KnownNames.NameOf(attribute) == KnownNames.InnerAttribute)
                foreach (var argument in attribute.NamedArguments)
                    if (argument.Key == "InitializedFrom" && argument.Value.Value is string name) return name;
        return null;
    }

    /// <summary>
    /// The <c>Min</c> and <c>Max</c> of a member's [Outer] attribute (null when not set or infinite in its own
    /// direction, i.e. no bound); <paramref name="invalid"/> says why they are not an interval, or null.
    /// </summary>
    public static (double? Min, double? Max) OuterBounds(ISymbol member, out string? invalid)
    {
        invalid = null;
        double min = double.NegativeInfinity, max = double.PositiveInfinity;
        foreach (var attribute in member.GetAttributes())
            if (KnownNames.NameOf(attribute) == KnownNames.OuterAttribute)
                foreach (var argument in attribute.NamedArguments)
                    if (argument.Value.Value is double value)
                    {
                        if (argument.Key == "Min") min = value;
                        else if (argument.Key == "Max") max = value;
                    }
        if (double.IsNaN(min) || double.IsNaN(max)) invalid = "a bound is NaN";
        else if (double.IsPositiveInfinity(min)) invalid = "Min is +infinity, so no value is allowed";
        else if (double.IsNegativeInfinity(max)) invalid = "Max is -infinity, so no value is allowed";
        else if (min > max) invalid = $"Min = {min.ToString("R", System.Globalization.CultureInfo.InvariantCulture)} is greater than Max = {max.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}";
        if (invalid is not null) return (null, null);
        return (double.IsNegativeInfinity(min) ? null : min, double.IsPositiveInfinity(max) ? null : max);
    }
}
