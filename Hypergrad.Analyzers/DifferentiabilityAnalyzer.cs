using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Hypergrad.Generators.Extraction;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace Hypergrad.Analyzers;

/// <summary>
/// Finds code that silently cuts the autograd graph inside the methods Hypergrad differentiates (HG0008–HG0011), and
/// backward()/disposed variables inside objectives (HG0040, HG0041).
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class DifferentiabilityAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
        DiagnosticDescriptors.BuiltInOptimizer,
        DiagnosticDescriptors.DetachOnVariable,
        DiagnosticDescriptors.NoGrad,
        DiagnosticDescriptors.InPlaceOnVariable,
        DiagnosticDescriptors.BackwardInObjective,
        DiagnosticDescriptors.VariableDisposedInObjective);

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            // Projects that do not reference Hypergrad pay nothing.
            if (start.Compilation.GetTypeByMetadataName(KnownNames.HypergradientAttribute) is null) return;
            start.RegisterSymbolStartAction(StartType, SymbolKind.NamedType);
        });
    }

    private static void StartType(SymbolStartAnalysisContext context)
    {
        if (ProblemScope.For((INamedTypeSymbol)context.Symbol) is not { } scope) return;

        context.RegisterOperationAction(c =>
        {
            var invocation = (IInvocationOperation)c.Operation;
            if (scope.IsDifferentiated(c.ContainingSymbol)) CheckInvocation(c, invocation, scope);
            ObjectiveMisuse.CheckInvocation(c, invocation, scope);
        }, OperationKind.Invocation);
        context.RegisterOperationAction(c => ObjectiveMisuse.CheckUsing(c, scope), OperationKind.Using, OperationKind.UsingDeclaration);
        context.RegisterOperationAction(c =>
        {
            var creation = (IObjectCreationOperation)c.Operation;
            if (scope.IsDifferentiated(c.ContainingSymbol) && KnownNames.IsOrDerivesFrom(creation.Type, KnownNames.Optimizer))
                ReportOptimizer(c, creation, creation.Type!.Name);
        }, OperationKind.ObjectCreation);
    }

    private static void CheckInvocation(OperationAnalysisContext context, IInvocationOperation invocation, ProblemScope scope)
    {
        var method = invocation.TargetMethod;
        string? containing = method.ContainingType?.ToDisplayString();
        string where = (ProblemScope.OwningMember(context.ContainingSymbol) ?? context.ContainingSymbol).Name;

        if (containing == KnownNames.OptimFactory && KnownNames.IsOrDerivesFrom(method.ReturnType, KnownNames.Optimizer))
        {
            ReportOptimizer(context, invocation, method.Name);
            return;
        }
        if (method.Name == "step" && KnownNames.IsOrDerivesFrom(invocation.Instance?.Type, KnownNames.Optimizer))
        {
            // Marked so the code fix that removes the call tells it apart from a construction (which it replaces).
            var properties = ImmutableDictionary<string, string?>.Empty.Add(DiagnosticProperties.OptimizerStep, "true");
            context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.BuiltInOptimizer, invocation.Syntax.GetLocation(), properties,
                invocation.Syntax.ToString(), where, OptimizerCounterparts.Describe("")));
            return;
        }
        if (method.Name == "no_grad" && containing == "TorchSharp.torch")
        {
            context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.NoGrad, invocation.Syntax.GetLocation(), invocation.Syntax.ToString(), where));
            return;
        }
        if (method.IsStatic || !KnownNames.IsOrDerivesFrom(method.ContainingType, KnownNames.Tensor)) return;
        if (TrackedVariableIn(invocation.Instance, scope) is not { } variable) return;

        if (method.Name == "detach")
            context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.DetachOnVariable, invocation.Syntax.GetLocation(), invocation.Syntax.ToString(), variable.Name, where));
        else if (method.Name.Length > 1 && method.Name.EndsWith("_", System.StringComparison.Ordinal) && !method.Name.StartsWith("_", System.StringComparison.Ordinal))
            context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.InPlaceOnVariable, invocation.Syntax.GetLocation(),
                invocation.Syntax.ToString(), variable.Name, where, method.Name.TrimEnd('_')));
    }

    private static void ReportOptimizer(OperationAnalysisContext context, IOperation operation, string optimizerName)
    {
        var properties = ImmutableDictionary<string, string?>.Empty;
        if (OptimizerCounterparts.ClassFor(optimizerName) is { } replacement)
            properties = properties.Add(OptimizerCounterparts.ReplacementKey, replacement);
        context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.BuiltInOptimizer, operation.Syntax.GetLocation(), properties,
            operation.Syntax.ToString(), (ProblemScope.OwningMember(context.ContainingSymbol) ?? context.ContainingSymbol).Name, OptimizerCounterparts.Describe(optimizerName)));
    }

    /// <summary>The [Inner]/[Outer] member that <paramref name="receiver"/> reads (e.g. Model in Model.weight), if any.</summary>
    private static ISymbol? TrackedVariableIn(IOperation? receiver, ProblemScope scope)
    {
        if (receiver is null) return null;
        foreach (var operation in new[] { receiver }.Concat(receiver.Descendants()))
        {
            ISymbol? member = operation switch
            {
                IFieldReferenceOperation field => field.Field,
                IPropertyReferenceOperation property => property.Property,
                _ => null,
            };
            if (member is not null && scope.IsTracked(member)) return member;
        }
        return null;
    }
}
