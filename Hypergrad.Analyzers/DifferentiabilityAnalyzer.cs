using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Hypergrad.Generators.Extraction;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace Hypergrad.Analyzers;

/// <summary>
/// Finds code that silently cuts the autograd graph inside the methods Hypergrad differentiates (HG0008–HG0011),
/// outer variables that no objective uses (HG0007), and backward()/disposed variables inside objectives (HG0040, HG0041).
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class DifferentiabilityAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
        DiagnosticDescriptors.OuterVariableUnused,
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

        // Which members each method of the class references, for the "outer variable unused" check at the end.
        var references = new ConcurrentDictionary<ISymbol, ConcurrentBag<ISymbol>>(SymbolEqualityComparer.Default);
        void Record(ISymbol owner, ISymbol referenced) =>
            references.GetOrAdd((ProblemScope.OwningMember(owner) ?? owner).OriginalDefinition, _ => new ConcurrentBag<ISymbol>()).Add(referenced.OriginalDefinition);

        context.RegisterOperationAction(c => Record(c.ContainingSymbol, ((IFieldReferenceOperation)c.Operation).Field), OperationKind.FieldReference);
        context.RegisterOperationAction(c => Record(c.ContainingSymbol, ((IPropertyReferenceOperation)c.Operation).Property), OperationKind.PropertyReference);
        context.RegisterOperationAction(c => Record(c.ContainingSymbol, ((IMethodReferenceOperation)c.Operation).Method), OperationKind.MethodReference);
        context.RegisterOperationAction(c =>
        {
            var invocation = (IInvocationOperation)c.Operation;
            Record(c.ContainingSymbol, invocation.TargetMethod);
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

        context.RegisterSymbolEndAction(c => ReportUnusedOuterVariables(c, scope, references));
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
            context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.BuiltInOptimizer, invocation.Syntax.GetLocation(),
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

    private static void ReportUnusedOuterVariables(SymbolAnalysisContext context, ProblemScope scope, ConcurrentDictionary<ISymbol, ConcurrentBag<ISymbol>> references)
    {
        if (scope.InnerObjectives.Length == 0 || scope.OuterObjectives.Length == 0) return;   // HG0002 already explains.
        // Only this class's bodies are analyzed here: objectives inherited from a base class cannot be followed.
        if (scope.InnerObjectives.Concat(scope.OuterObjectives).Any(o => !SymbolEqualityComparer.Default.Equals(o.ContainingType, scope.Type))) return;

        // Everything the objectives reach through the class's own methods and property getters.
        var reached = new HashSet<ISymbol>(SymbolEqualityComparer.Default);
        var pending = new Stack<ISymbol>(scope.InnerObjectives.Concat(scope.OuterObjectives));
        while (pending.Count > 0)
        {
            var owner = pending.Pop();
            if (!reached.Add(owner)) continue;
            if (owner is IPropertySymbol { GetMethod: { } getter }) pending.Push(getter.OriginalDefinition);
            if (references.TryGetValue(owner, out var used))
                foreach (var symbol in used) pending.Push(symbol);
        }

        // A base class's method reached from here has a body this analysis does not see: it may use any variable.
        var baseTypes = new HashSet<ISymbol>(SymbolEqualityComparer.Default);
        for (var current = scope.Type.BaseType; current is not null; current = current.BaseType) baseTypes.Add(current.OriginalDefinition);
        if (reached.Any(symbol => symbol is IMethodSymbol or IPropertySymbol && symbol.ContainingType is { } owner
                                  && baseTypes.Contains(owner.OriginalDefinition) && symbol.Locations.Any(l => l.IsInSource)))
            return;

        // A meta-initialization ([Inner(InitializedFrom = …)]) gets its hypergradient through the inner variables' start.
        var initializations = new HashSet<string>(scope.Inner.Select(MemberLookup.InitializedFrom).OfType<string>());
        foreach (var variable in scope.Outer)
            if (!reached.Contains(variable) && !initializations.Contains(variable.Name))
                context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.OuterVariableUnused, variable.Locations.FirstOrDefault(),
                    variable.Name, scope.InnerObjectives[0].Name, scope.OuterObjectives[0].Name));
    }
}
