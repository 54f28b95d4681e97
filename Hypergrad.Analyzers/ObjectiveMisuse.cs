using System.Linq;
using Hypergrad.Generators.Extraction;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace Hypergrad.Analyzers;

/// <summary>
/// Code inside objectives and fixed-point maps that would make libtorch abort the process when Hypergrad
/// differentiates them: a backward pass (HG0040) and disposing an [Inner]/[Outer] variable (HG0041). In-place
/// changes of variables are HG0011.
/// </summary>
internal static class ObjectiveMisuse
{
    /// <summary>Checks one invocation inside an objective: <c>x.backward()</c>, <c>torch.autograd.backward(…)</c>, <c>W.Dispose()</c>.</summary>
    public static void CheckInvocation(OperationAnalysisContext context, IInvocationOperation invocation, ProblemScope scope)
    {
        if (!scope.IsObjective(context.ContainingSymbol)) return;
        var method = invocation.TargetMethod;
        string where = Where(context);
        bool onTensor = !method.IsStatic && KnownNames.IsOrDerivesFrom(method.ContainingType, KnownNames.Tensor);
        bool autogradBackward = method.IsStatic && method.ContainingType?.ToDisplayString() == "TorchSharp.torch.autograd";
        if (method.Name == "backward" && (onTensor || autogradBackward))
            context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.BackwardInObjective, invocation.Syntax.GetLocation(), invocation.Syntax.ToString(), where));
        else if (method.Name == "Dispose" && method.Parameters.Length == 0 && VariableItself(invocation.Instance, scope) is { } variable)
            context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.VariableDisposedInObjective, invocation.Syntax.GetLocation(),
                invocation.Syntax.ToString(), variable.Name, where));
    }

    /// <summary>Checks <c>using var w = W;</c> and <c>using (W) { … }</c> inside an objective.</summary>
    public static void CheckUsing(OperationAnalysisContext context, ProblemScope scope)
    {
        if (!scope.IsObjective(context.ContainingSymbol)) return;
        IOperation? resources = context.Operation switch
        {
            IUsingOperation statement => statement.Resources,
            IUsingDeclarationOperation declaration => declaration.DeclarationGroup,
            _ => null,
        };
        if (resources is null) return;
        // The disposed values: the declarators' initial values, or the resource expression itself.
        var values = resources is IVariableDeclarationGroupOperation group
            ? group.Declarations.SelectMany(d => d.Declarators.Select(x => x.Initializer?.Value).Append(d.Initializer?.Value))
            : new[] { resources };
        foreach (var value in values)
            if (VariableItself(value, scope) is { } variable)
            {
                context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.VariableDisposedInObjective, context.Operation.Syntax.GetLocation(),
                    FirstLine(context.Operation.Syntax.ToString()), variable.Name, Where(context)));
                return;
            }
    }

    /// <summary>
    /// The [Inner]/[Outer] member that <paramref name="operation"/> evaluates to itself (<c>W</c>, <c>Model</c>,
    /// <c>Model.weight</c>), or null for a value computed from it (<c>W.exp()</c> is a new tensor the objective may dispose).
    /// </summary>
    private static ISymbol? VariableItself(IOperation? operation, ProblemScope scope)
    {
        while (operation is IConversionOperation conversion) operation = conversion.Operand;
        while (operation is IMemberReferenceOperation member and (IFieldReferenceOperation or IPropertyReferenceOperation))
        {
            if (scope.IsTracked(member.Member)) return member.Member;
            operation = member.Instance;
            while (operation is IConversionOperation inner) operation = inner.Operand;
        }
        return null;
    }

    private static string Where(OperationAnalysisContext context) => (ProblemScope.OwningMember(context.ContainingSymbol) ?? context.ContainingSymbol).Name;

    private static string FirstLine(string text) => text.Split('\n')[0].Trim();
}
