using System.Collections.Immutable;
using System.Linq;
using Hypergrad.Generators.Extraction;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace Hypergrad.Analyzers;

/// <summary>
/// HG0031: a differentiable optimizer created with a hyperparameter computed from an [Outer] member, such as
/// <c>new DifferentiableSgd(LogLr.exp())</c>. The expression is evaluated once, so the optimizer keeps its first value
/// after the outer variable changes; the runtime refuses it, and this says so where it is written.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class OptimizerHyperparameterAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(DiagnosticDescriptors.HyperparameterEvaluatedOnce);

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            if (start.Compilation.GetTypeByMetadataName(OptimizerUse.DifferentiableOptimizer) is null) return;
            start.RegisterOperationAction(Analyze, OperationKind.ObjectCreation);
        });
    }

    private static void Analyze(OperationAnalysisContext context)
    {
        var creation = (IObjectCreationOperation)context.Operation;
        if (!OptimizerUse.IsDifferentiableOptimizer(creation.Type)) return;
        foreach (var argument in creation.Arguments)
        {
            if (argument.ArgumentKind != ArgumentKind.Explicit || argument.Parameter is null) continue;
            var value = Unconverted(argument.Value);
            // A local assigned once from such an expression (var rate = LogLr.exp(); new DifferentiableSgd(rate)) is the
            // same snapshot; a local assigned more than once is left alone (which value reaches here is not known).
            string? local = null;
            if (value is ILocalReferenceOperation reference && SingleInitializer(creation, reference.Local) is { } initializer)
            {
                local = reference.Local.Name;
                value = Unconverted(initializer);
            }
            // The outer variable itself (a leaf) is fine: the optimizer reads its current value at every step.
            if (value is IFieldReferenceOperation or IPropertyReferenceOperation) continue;
            if (OptimizerUse.OuterMembersEvaluatedNow(value).FirstOrDefault() is not { } outer) continue;
            string expression = value.Syntax.ToString();
            string perStep = argument.Parameter.Name == "learningRate"
                ? $"{argument.Parameter.Name}: () => {expression}"
                : $"{argument.Parameter.Name}: Hyperparameter.PerStep(() => {expression})";
            string shown = local is null ? expression : $"{local} (= {expression})";
            context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.HyperparameterEvaluatedOnce, argument.Value.Syntax.GetLocation(), shown, outer.Name, perStep));
        }
    }

    /// <summary>The initializer of <paramref name="local"/> when it is the local's only assignment in the enclosing body, else null.</summary>
    private static IOperation? SingleInitializer(IOperation within, ILocalSymbol local)
    {
        var root = within;
        while (root.Parent is { } parent) root = parent;
        IOperation? initializer = null;
        foreach (var operation in root.Descendants())
        {
            switch (operation)
            {
                case IVariableDeclaratorOperation declarator when SymbolEqualityComparer.Default.Equals(declarator.Symbol, local):
                    initializer = declarator.Initializer?.Value;
                    break;
                case IAssignmentOperation { Target: ILocalReferenceOperation target } when SymbolEqualityComparer.Default.Equals(target.Local, local):
                    return null;
                case IArgumentOperation { Value: ILocalReferenceOperation passed, Parameter.RefKind: not RefKind.None } when SymbolEqualityComparer.Default.Equals(passed.Local, local):
                    return null;
            }
        }
        return initializer;
    }

    private static IOperation Unconverted(IOperation operation)
    {
        while (operation is IConversionOperation { IsImplicit: true } conversion) operation = conversion.Operand;
        return operation;
    }
}
