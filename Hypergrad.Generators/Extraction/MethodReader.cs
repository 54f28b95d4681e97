using System.Linq;
using Hypergrad.Analyzers;
using Hypergrad.Generators.Model;
using Microsoft.CodeAnalysis;

namespace Hypergrad.Generators.Extraction;

/// <summary>Reads and validates the objective and inner-step methods of a <c>[Hypergradient]</c> class.</summary>
internal static class MethodReader
{
    public static IMethodSymbol? ReadObjective(INamedTypeSymbol type, string attributeName, string shortName, Reporter report)
    {
        var methods = MemberLookup.MethodsWith(type, attributeName);
        if (methods.Length == 0)
        {
            report.Add(DiagnosticDescriptors.MissingObjective, type, type.Name, shortName);
            return null;
        }
        foreach (var duplicate in methods.Skip(1))
            report.Add(DiagnosticDescriptors.DuplicateObjective, duplicate, duplicate.Name, shortName, type.Name, methods[0].Name);

        var method = methods[0];
        bool valid = true;
        if (!SymbolEqualityComparer.Default.Equals(method.ContainingType, type) && method.DeclaredAccessibility == Accessibility.Private)
        {
            report.Add(DiagnosticDescriptors.UnsupportedDeclaration, method, method.Name, $"it is private to the base class {method.ContainingType.Name}; make it protected so the generated code can call it");
            valid = false;
        }
        if (!KnownNames.IsOrDerivesFrom(method.ReturnType, KnownNames.Tensor))
        {
            report.Add(DiagnosticDescriptors.ObjectiveNotTensor, method, method.Name, method.ReturnType.ToDisplayString());
            valid = false;
        }
        valid &= CheckBatchParameters(method, report);
        return valid ? method : null;
    }

    public static IMethodSymbol? ReadInnerStep(INamedTypeSymbol type, IMethodSymbol? innerObjective, SettingsModel? settings, Reporter report)
    {
        var methods = MemberLookup.MethodsWith(type, KnownNames.InnerStepAttribute);
        if (methods.Length == 0) return null;
        foreach (var duplicate in methods.Skip(1))
            report.Add(DiagnosticDescriptors.DuplicateObjective, duplicate, duplicate.Name, "InnerStep", type.Name, methods[0].Name);

        var step = methods[0];
        if (settings is not null && MethodFamilies.IsUnrolled(settings.Method))
            report.Add(DiagnosticDescriptors.UnsupportedDeclaration, step, step.Name,
                $"Method.{settings.Method} differentiates through the steps of BilevelOptions.InnerOptimizer, so an [InnerStep] is only used with implicit methods");
        if (settings is not null && MethodFamilies.IsJoint(settings.Method))
            report.Add(DiagnosticDescriptors.JointMethodWithInnerStep, step, step.Name, settings.Method);
        if (!step.ReturnsVoid)
            report.Add(DiagnosticDescriptors.UnsupportedDeclaration, step, step.Name, "an [InnerStep] method takes one inner step and returns void");
        if (!CheckBatchParameters(step, report)) return null;
        if (innerObjective is not null && !SameParameterTypes(step, innerObjective))
            report.Add(DiagnosticDescriptors.UnsupportedDeclaration, step, step.Name,
                $"an [InnerStep] method consumes the inner objective's batch, so its parameters must have the types of '{innerObjective.Name}'s");
        return step;
    }

    /// <summary>
    /// HG0014 for a method the generated code cannot call (an accessor, operator or explicit interface implementation)
    /// or whose batch it cannot pass (generic method, ref/out/in/params, or a type that cannot be a tuple element or a
    /// member's signature: ref structs such as Span, pointers).
    /// </summary>
    public static bool CheckBatchParameters(IMethodSymbol method, Reporter report)
    {
        bool valid = true;
        if (method.MethodKind != MethodKind.Ordinary)
        {
            report.Add(DiagnosticDescriptors.UnsupportedDeclaration, method, method.Name,
                $"Hypergrad's method attributes go on ordinary methods of the class, not on a {Describe(method.MethodKind)}");
            valid = false;
        }
        if (method.IsGenericMethod)
        {
            report.Add(DiagnosticDescriptors.UnsupportedDeclaration, method, method.Name, "objectives and inner steps cannot be generic methods");
            valid = false;
        }
        foreach (var parameter in method.Parameters)
        {
            if (parameter.RefKind != RefKind.None || parameter.IsParams)
            {
                report.Add(DiagnosticDescriptors.UnsupportedDeclaration, parameter, $"{method.Name}({parameter.Name})",
                    "batch parameters are passed by value; remove ref, out, in and params");
                valid = false;
            }
            else if (WhyNotABatchElement(parameter.Type) is { } why)
            {
                report.Add(DiagnosticDescriptors.UnsupportedDeclaration, parameter, $"{method.Name}({parameter.Name})",
                    $"batches are stored in tuples and sequences (IEnumerable<batch>), and {why}");
                valid = false;
            }
        }
        return valid;
    }

    /// <summary>Why <paramref name="type"/> cannot be an element of a batch tuple in a generated signature, or null.</summary>
    private static string? WhyNotABatchElement(ITypeSymbol type)
    {
        if (type.IsRefLikeType) return $"'{type.ToDisplayString()}' is a ref struct, which cannot be stored; take an array or a Tensor";
        if (type is IPointerTypeSymbol or IFunctionPointerTypeSymbol) return $"'{type.ToDisplayString()}' is a pointer, which cannot be a type argument; take an array or a Tensor";
        if (type is IArrayTypeSymbol array) return WhyNotABatchElement(array.ElementType);
        if (type is INamedTypeSymbol named)
            foreach (var argument in named.TypeArguments)
                if (WhyNotABatchElement(argument) is { } why) return why;
        return null;
    }

    private static string Describe(MethodKind kind) => kind switch
    {
        MethodKind.PropertyGet or MethodKind.PropertySet => "property accessor",
        MethodKind.EventAdd or MethodKind.EventRemove or MethodKind.EventRaise => "event accessor",
        MethodKind.ExplicitInterfaceImplementation => "explicit interface implementation",
        MethodKind.UserDefinedOperator or MethodKind.Conversion => "operator",
        MethodKind.Constructor or MethodKind.StaticConstructor => "constructor",
        MethodKind.Destructor => "finalizer",
        _ => kind.ToString(),
    };

    private static bool SameParameterTypes(IMethodSymbol a, IMethodSymbol b) =>
        a.Parameters.Length == b.Parameters.Length
        && a.Parameters.Zip(b.Parameters, (x, y) => SymbolEqualityComparer.Default.Equals(x.Type, y.Type)).All(same => same);

    public static MethodModel ToModel(IMethodSymbol method) =>
        new(method.Name, new EquatableArray<ParameterModel>(method.Parameters.Select(p => new ParameterModel(p.Name, p.Type.ToDisplayString(KnownNames.TypeFormat)))),
            method.IsStatic ? method.ContainingType.ToDisplayString(KnownNames.TypeFormat) : "this");
}
