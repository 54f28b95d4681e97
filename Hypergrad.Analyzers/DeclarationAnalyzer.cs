using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Hypergrad.Generators.Extraction;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Hypergrad.Analyzers;

/// <summary>
/// Explains why the generator emitted nothing for a <c>[Hypergradient]</c> class: it runs the generator's own
/// extraction (<see cref="ProblemExtractor"/>) and reports what it found (HG0001–HG0006, HG0012, HG0014–HG0020).
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class DeclarationAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
        DiagnosticDescriptors.NotPartial,
        DiagnosticDescriptors.InvalidOuterBounds,
        DiagnosticDescriptors.MissingObjective,
        DiagnosticDescriptors.DuplicateObjective,
        DiagnosticDescriptors.ObjectiveNotTensor,
        DiagnosticDescriptors.UnsupportedVariableType,
        DiagnosticDescriptors.MissingVariables,
        DiagnosticDescriptors.InvalidOption,
        DiagnosticDescriptors.InvalidComposition,
        DiagnosticDescriptors.UnsupportedDeclaration,
        DiagnosticDescriptors.BothInnerAndOuter,
        DiagnosticDescriptors.OptionIgnored,
        DiagnosticDescriptors.InvalidInitialization,
        DiagnosticDescriptors.FixedPointMapWithInnerObjective,
        DiagnosticDescriptors.InvalidFixedPointMap,
        DiagnosticDescriptors.MethodNeedsSymmetricMatrix);

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            // Projects that do not reference Hypergrad pay nothing.
            if (start.Compilation.GetTypeByMetadataName(KnownNames.HypergradientAttribute) is null) return;
            start.RegisterSymbolAction(AnalyzeType, SymbolKind.NamedType);
        });
    }

    private static void AnalyzeType(SymbolAnalysisContext context)
    {
        var type = (INamedTypeSymbol)context.Symbol;
        var attribute = type.GetAttributes().FirstOrDefault(a => KnownNames.NameOf(a) == KnownNames.HypergradientAttribute);
        if (attribute is null) return;

        var diagnostics = new List<Diagnostic>();
        ProblemExtractor.Extract(type, attribute, diagnostics, context.CancellationToken);
        foreach (var diagnostic in diagnostics) context.ReportDiagnostic(diagnostic);
    }
}
