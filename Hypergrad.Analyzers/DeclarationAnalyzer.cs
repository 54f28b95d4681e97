using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Hypergrad.Generators.Extraction;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Hypergrad.Analyzers;

/// <summary>
/// Explains why the generator emitted nothing for a <c>[Hypergradient]</c> class: it runs the generator's own
/// extraction (<see cref="ProblemExtractor"/>) and reports what it found (HG0001–HG0006, HG0012, HG0014–HG0023, HG0050–HG0052).
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
        DiagnosticDescriptors.MethodNeedsSymmetricMatrix,
        DiagnosticDescriptors.GeneratedMemberClash,
        DiagnosticDescriptors.LanguageVersionTooOld,
        DiagnosticDescriptors.MemberAttributeWithoutProblem,
        DiagnosticDescriptors.JointMethodWithInnerStep,
        DiagnosticDescriptors.JointMethodWithInitialization,
        DiagnosticDescriptors.SabaWithDecreasingSteps);

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
        if (attribute is null)
        {
            ReportMemberAttributesWithoutProblem(context, type);
            return;
        }

        var diagnostics = new List<Diagnostic>();
        ProblemExtractor.Extract(type, attribute, diagnostics, context.CancellationToken);
        foreach (var diagnostic in diagnostics) context.ReportDiagnostic(diagnostic);
    }

    private static readonly string[] MemberAttributes =
    {
        KnownNames.InnerAttribute, KnownNames.OuterAttribute, KnownNames.InnerObjectiveAttribute, KnownNames.OuterObjectiveAttribute,
        KnownNames.InnerStepAttribute, KnownNames.FixedPointMapAttribute,
    };

    /// <summary>
    /// HG0023: member attributes on a class that is no bilevel problem and no base of one in this compilation. Abstract
    /// classes are left alone: a [Hypergradient] class in another project may derive from them.
    /// </summary>
    private static void ReportMemberAttributesWithoutProblem(SymbolAnalysisContext context, INamedTypeSymbol type)
    {
        if (type.IsAbstract) return;
        var marked = type.GetMembers()
            .SelectMany(member => member.GetAttributes().Where(a => MemberAttributes.Contains(KnownNames.NameOf(a))).Select(a => (member, a)))
            .ToList();
        if (marked.Count == 0 || DerivedProblemExists(context.Compilation.Assembly.GlobalNamespace, type, context.CancellationToken)) return;
        foreach (var (member, attribute) in marked)
            context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.MemberAttributeWithoutProblem,
                attribute.ApplicationSyntaxReference?.GetSyntax(context.CancellationToken).GetLocation() ?? member.Locations.FirstOrDefault(),
                attribute.AttributeClass!.Name.Replace("Attribute", ""), member.Name, type.Name));
    }

    private static bool DerivedProblemExists(INamespaceOrTypeSymbol scope, INamedTypeSymbol baseType, System.Threading.CancellationToken cancellationToken)
    {
        foreach (var member in scope.GetMembers())
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (member is INamespaceSymbol ns && DerivedProblemExists(ns, baseType, cancellationToken)) return true;
            if (member is not INamedTypeSymbol candidate) continue;
            if (KnownNames.Has(candidate, KnownNames.HypergradientAttribute))
                for (var current = candidate.BaseType; current is not null; current = current.BaseType)
                    if (SymbolEqualityComparer.Default.Equals(current.OriginalDefinition, baseType)) return true;
            if (DerivedProblemExists(candidate, baseType, cancellationToken)) return true;
        }
        return false;
    }
}
