using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Hypergrad.Generators.Extraction;

/// <summary>Fully qualified names of the attributes and TorchSharp types, matched by name (no runtime reference).</summary>
internal static class KnownNames
{
    public const string HypergradientAttribute = "Hypergrad.HypergradientAttribute";
    public const string InnerAttribute = "Hypergrad.InnerAttribute";
    public const string OuterAttribute = "Hypergrad.OuterAttribute";
    public const string InnerObjectiveAttribute = "Hypergrad.InnerObjectiveAttribute";
    public const string OuterObjectiveAttribute = "Hypergrad.OuterObjectiveAttribute";
    public const string InnerStepAttribute = "Hypergrad.InnerStepAttribute";
    public const string FixedPointMapAttribute = "Hypergrad.FixedPointMapAttribute";
    public const string Func = "System.Func<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor>";

    public const string Tensor = "TorchSharp.torch.Tensor";
    public const string Parameter = "TorchSharp.Modules.Parameter";
    public const string Module = "TorchSharp.torch.nn.Module";
    public const string Optimizer = "TorchSharp.torch.optim.Optimizer";
    public const string OptimFactory = "TorchSharp.torch.optim";

    /// <summary>How generated code writes types: fully qualified (global::), nullable annotations kept.</summary>
    public static readonly SymbolDisplayFormat TypeFormat = SymbolDisplayFormat.FullyQualifiedFormat
        .AddMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

    /// <summary>How generated code writes a namespace: keywords escaped (namespace @namespace).</summary>
    public static readonly SymbolDisplayFormat NamespaceFormat = new(
        typeQualificationStyle: SymbolDisplayTypeQualificationStyle.NameAndContainingTypesAndNamespaces,
        miscellaneousOptions: SymbolDisplayMiscellaneousOptions.EscapeKeywordIdentifiers);

    /// <summary><paramref name="name"/> as an identifier in generated code: '@' before a keyword (@class).</summary>
    public static string Identifier(string name) =>
        SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None ? "@" + name : name;

    /// <summary>True when <paramref name="type"/> is <paramref name="fullName"/> or derives from it.</summary>
    public static bool IsOrDerivesFrom(ITypeSymbol? type, string fullName)
    {
        for (var current = type; current is not null; current = current.BaseType)
            if (current.ToDisplayString() == fullName) return true;
        return false;
    }

    /// <summary>The fully qualified name of an attribute's class ("Hypergrad.InnerAttribute").</summary>
    public static string? NameOf(AttributeData attribute) => attribute.AttributeClass?.ToDisplayString();

    /// <summary>True when <paramref name="symbol"/> carries the attribute <paramref name="fullName"/>.</summary>
    public static bool Has(ISymbol symbol, string fullName)
    {
        foreach (var attribute in symbol.GetAttributes())
            if (NameOf(attribute) == fullName) return true;
        return false;
    }
}
