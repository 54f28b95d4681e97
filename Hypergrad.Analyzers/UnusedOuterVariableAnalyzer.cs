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
/// HG0007: an [Outer] variable that neither objective uses, directly or through what they call (helpers, property
/// getters, delegates stored in fields or properties, members of base classes), and that no differentiable optimizer in
/// the compilation uses as a hyperparameter. Decided at the end of the compilation, once every use has been seen.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class UnusedOuterVariableAnalyzer : DiagnosticAnalyzer
{
    private const string HyperparameterType = "Hypergrad.Optimizers.Hyperparameter";

    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(DiagnosticDescriptors.OuterVariableUnused);

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            // Projects that do not reference Hypergrad pay nothing.
            if (start.Compilation.GetTypeByMetadataName(KnownNames.HypergradientAttribute) is null) return;
            var uses = new Uses();
            start.RegisterOperationAction(uses.Record, OperationKind.FieldReference, OperationKind.PropertyReference, OperationKind.MethodReference,
                OperationKind.Invocation, OperationKind.ObjectCreation, OperationKind.SimpleAssignment);
            start.RegisterSymbolAction(c =>
            {
                if (ProblemScope.For((INamedTypeSymbol)c.Symbol) is { } scope) uses.Problems.Add(scope);
            }, SymbolKind.NamedType);
            start.RegisterCompilationEndAction(uses.Report);
        });
    }

    /// <summary>Who references what, across the compilation, and which outer variables optimizers read.</summary>
    private sealed class Uses
    {
        private readonly ConcurrentDictionary<ISymbol, ConcurrentBag<ISymbol>> references = new(SymbolEqualityComparer.Default);
        private readonly ConcurrentDictionary<ISymbol, byte> usedByOptimizers = new(SymbolEqualityComparer.Default);
        public ConcurrentBag<ProblemScope> Problems { get; } = new();

        public void Record(OperationAnalysisContext context)
        {
            // Code in lambdas and local functions counts as the member that declares them.
            var owner = (ProblemScope.OwningMember(context.ContainingSymbol) ?? context.ContainingSymbol).OriginalDefinition;
            switch (context.Operation)
            {
                case IFieldReferenceOperation field: Add(owner, field.Field); break;
                case IPropertyReferenceOperation property: Add(owner, property.Property); break;
                case IMethodReferenceOperation method: Add(owner, method.Method); break;
                case IInvocationOperation invocation:
                    Add(owner, invocation.TargetMethod);
                    if (invocation.TargetMethod.ContainingType?.ToDisplayString() == HyperparameterType) AddOptimizerUses(invocation);   // Hyperparameter.PerStep(…)
                    break;
                case IObjectCreationOperation creation when OptimizerUse.IsDifferentiableOptimizer(creation.Type):
                    AddOptimizerUses(creation);
                    break;
                case ISimpleAssignmentOperation assignment:
                    // A delegate stored in a field or property uses what it reads: whoever reads the member reaches that.
                    if (MemberOf(assignment.Target) is { } target)
                        foreach (var operation in assignment.Value.Descendants())
                            if ((MemberOf(operation) ?? (operation as IInvocationOperation)?.TargetMethod) is { } used) Add(target.OriginalDefinition, used);
                    break;
            }
            // A user's optimizer subclass that reads an outer variable in its update.
            if (OptimizerUse.IsDifferentiableOptimizer(context.ContainingSymbol.ContainingType) && MemberOf(context.Operation) is { } member && OptimizerUse.IsOuterMember(member))
                usedByOptimizers.TryAdd(member.OriginalDefinition, 0);
        }

        public void Report(CompilationAnalysisContext context)
        {
            foreach (var scope in Problems)
                foreach (var diagnostic in Unused(scope)) context.ReportDiagnostic(diagnostic);
        }

        private IEnumerable<Diagnostic> Unused(ProblemScope scope)
        {
            if (scope.InnerObjectives.Length == 0 || scope.OuterObjectives.Length == 0) yield break;   // HG0002 already explains.

            // A virtual member reached through its base declaration runs the problem class's override.
            var overrides = new Dictionary<ISymbol, ISymbol>(SymbolEqualityComparer.Default);
            foreach (var member in MemberLookup.AllMembers(scope.Type))
                for (ISymbol? overridden = Overridden(member); overridden is not null; overridden = Overridden(overridden))
                    overrides[overridden.OriginalDefinition] = member.OriginalDefinition;

            // Everything the objectives reach through methods, property getters and stored delegates, in any class.
            var reached = new HashSet<ISymbol>(SymbolEqualityComparer.Default);
            var pending = new Stack<ISymbol>(scope.InnerObjectives.Concat(scope.OuterObjectives).Select(o => o.OriginalDefinition));
            while (pending.Count > 0)
            {
                var owner = pending.Pop();
                if (!reached.Add(owner)) continue;
                if (overrides.TryGetValue(owner, out var implementation)) pending.Push(implementation);
                if (owner is IPropertySymbol { GetMethod: { } getter }) pending.Push(getter.OriginalDefinition);
                if (references.TryGetValue(owner, out var used))
                    foreach (var symbol in used) pending.Push(symbol);
            }

            // A base class compiled elsewhere has bodies this analysis does not see: a method of it may use any variable.
            var baseTypes = new HashSet<ISymbol>(SymbolEqualityComparer.Default);
            for (var current = scope.Type.BaseType; current is not null; current = current.BaseType) baseTypes.Add(current.OriginalDefinition);
            if (reached.Any(symbol => symbol is IMethodSymbol or IPropertySymbol && symbol.ContainingType is { } owner
                                      && baseTypes.Contains(owner.OriginalDefinition) && !symbol.Locations.Any(l => l.IsInSource)))
                yield break;

            // A meta-initialization ([Inner(InitializedFrom = …)]) gets its hypergradient through the inner variables' start.
            var initializations = new HashSet<string>(scope.Inner.Select(MemberLookup.InitializedFrom).OfType<string>());
            foreach (var variable in scope.Outer)
            {
                if (reached.Contains(variable.OriginalDefinition) || initializations.Contains(variable.Name) || usedByOptimizers.ContainsKey(variable.OriginalDefinition)) continue;
                var location = variable.Locations.FirstOrDefault(l => l.IsInSource) ?? scope.Type.Locations.FirstOrDefault();
                yield return Diagnostic.Create(DiagnosticDescriptors.OuterVariableUnused, location, variable.Name, scope.InnerObjectives[0].Name, scope.OuterObjectives[0].Name);
            }
        }

        private void AddOptimizerUses(IOperation operation)
        {
            foreach (var member in OptimizerUse.OuterMembersIn(operation)) usedByOptimizers.TryAdd(member, 0);
        }

        private void Add(ISymbol owner, ISymbol referenced) =>
            references.GetOrAdd(owner, _ => new ConcurrentBag<ISymbol>()).Add(referenced.OriginalDefinition);

        private static ISymbol? MemberOf(IOperation operation) => operation switch
        {
            IFieldReferenceOperation field => field.Field,
            IPropertyReferenceOperation property => property.Property,
            IMethodReferenceOperation method => method.Method,
            _ => null,
        };

        private static ISymbol? Overridden(ISymbol member) => member switch
        {
            IMethodSymbol method => method.OverriddenMethod,
            IPropertySymbol property => property.OverriddenProperty,
            _ => null,
        };
    }
}
