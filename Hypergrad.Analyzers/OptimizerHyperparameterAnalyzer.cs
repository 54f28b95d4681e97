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
            // The outer variable itself (a leaf) is fine: the optimizer reads its current value at every step.
            if (value is IFieldReferenceOperation or IPropertyReferenceOperation) continue;
            if (OptimizerUse.OuterMembersEvaluatedNow(value).FirstOrDefault() is not { } outer) continue;
            string expression = value.Syntax.ToString();
            string perStep = argument.Parameter.Name == "learningRate"
                ? $"{argument.Parameter.Name}: () => {expression}"
                : $"{argument.Parameter.Name}: Hyperparameter.PerStep(() => {expression})";
            context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.HyperparameterEvaluatedOnce, value.Syntax.GetLocation(), expression, outer.Name, perStep));
        }
    }

    private static IOperation Unconverted(IOperation operation)
    {
        while (operation is IConversionOperation { IsImplicit: true } conversion) operation = conversion.Operand;
        return operation;
    }
}
