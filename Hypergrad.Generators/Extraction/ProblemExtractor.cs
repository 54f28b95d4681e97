using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Hypergrad.Analyzers;
using Hypergrad.Generators.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Hypergrad.Generators.Extraction;

/// <summary>
/// Reads a <c>[Hypergradient]</c> class into a <see cref="ProblemModel"/> and validates its declaration.
/// Shared by the generator (which passes no diagnostics list and emits nothing for an invalid class) and the
/// analyzer (which reports every problem found), so both always agree on what is valid.
/// </summary>
internal static class ProblemExtractor
{
    private static readonly SymbolDisplayFormat TypeFormat = SymbolDisplayFormat.FullyQualifiedFormat
        .AddMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

    /// <summary>
    /// The model of <paramref name="type"/>, or null when its declaration is invalid. Every problem is added to
    /// <paramref name="diagnostics"/> when one is given; extraction continues after a problem so all are reported.
    /// </summary>
    public static ProblemModel? Extract(INamedTypeSymbol type, AttributeData attribute, ICollection<Diagnostic>? diagnostics, CancellationToken cancellationToken)
    {
        var report = new Reporter(diagnostics);

        CheckDeclaration(type, report);
        var settings = SettingsReader.Read(attribute, report);

        var inner = new List<VariableModel>();
        var outer = new List<VariableModel>();
        ReadVariables(type, inner, outer, report);
        if (inner.Count == 0) report.Add(DiagnosticDescriptors.MissingVariables, type, type.Name, "Inner", "inner");
        if (outer.Count == 0) report.Add(DiagnosticDescriptors.MissingVariables, type, type.Name, "Outer", "outer");

        cancellationToken.ThrowIfCancellationRequested();
        var innerObjective = ReadObjective(type, KnownNames.InnerObjectiveAttribute, "InnerObjective", report);
        var outerObjective = ReadObjective(type, KnownNames.OuterObjectiveAttribute, "OuterObjective", report);
        var innerStep = ReadInnerStep(type, innerObjective, settings, report);

        if (report.HasErrors || settings is null || innerObjective is null || outerObjective is null)
            return null;

        string ns = type.ContainingNamespace.IsGlobalNamespace ? "" : type.ContainingNamespace.ToDisplayString();
        return new ProblemModel(
            ns,
            new EquatableArray<string>(ContainingTypeDeclarations(type)),
            type.Name,
            HintName(type),
            settings,
            new EquatableArray<VariableModel>(inner),
            new EquatableArray<VariableModel>(outer),
            ToModel(innerObjective),
            ToModel(outerObjective),
            innerStep is null ? null : ToModel(innerStep));
    }

    /// <summary>The kind of a variable member's type, or null when it is not Module, Parameter or Tensor.</summary>
    public static VariableKind? KindOf(ITypeSymbol type) =>
        KnownNames.IsOrDerivesFrom(type, KnownNames.Module) ? VariableKind.Module
        : KnownNames.IsOrDerivesFrom(type, KnownNames.Parameter) ? VariableKind.Parameter
        : KnownNames.IsOrDerivesFrom(type, KnownNames.Tensor) ? VariableKind.Tensor
        : null;

    /// <summary>The methods of <paramref name="type"/> and its base classes carrying <paramref name="attributeName"/>, base first.</summary>
    public static IMethodSymbol[] MethodsWith(INamedTypeSymbol type, string attributeName) =>
        AllMembers(type).OfType<IMethodSymbol>().Where(m => HasThroughOverrides(m, attributeName)).ToArray();

    /// <summary>The fields and properties of <paramref name="type"/> and its base classes carrying <paramref name="attributeName"/>.</summary>
    public static ISymbol[] MembersWith(INamedTypeSymbol type, string attributeName) =>
        AllMembers(type).Where(m => m is IFieldSymbol or IPropertySymbol && HasThroughOverrides(m, attributeName)).ToArray();

    /// <summary>True when <paramref name="member"/> or a member it overrides carries <paramref name="attributeName"/>.</summary>
    private static bool HasThroughOverrides(ISymbol member, string attributeName)
    {
        for (ISymbol? current = member; current is not null;
             current = current is IMethodSymbol method ? method.OverriddenMethod : (current as IPropertySymbol)?.OverriddenProperty)
            if (KnownNames.Has(current, attributeName)) return true;
        return false;
    }

    /// <summary>
    /// The members of <paramref name="type"/> and of its base classes (base first, declaration order), without
    /// members a more derived class overrides: variables and objectives may be declared in a base class.
    /// </summary>
    public static IEnumerable<ISymbol> AllMembers(INamedTypeSymbol type)
    {
        var chain = new List<INamedTypeSymbol>();
        for (var current = type; current is not null && current.SpecialType != SpecialType.System_Object; current = current.BaseType)
            chain.Insert(0, current);
        var overridden = new HashSet<ISymbol>(SymbolEqualityComparer.Default);
        foreach (var member in chain.SelectMany(t => t.GetMembers()))
        {
            ISymbol? replaced = member switch
            {
                IMethodSymbol method => method.OverriddenMethod,
                IPropertySymbol property => property.OverriddenProperty,
                _ => null,
            };
            for (; replaced is not null; replaced = replaced is IMethodSymbol m ? m.OverriddenMethod : ((IPropertySymbol)replaced).OverriddenProperty)
                overridden.Add(replaced.OriginalDefinition);
        }
        return chain.SelectMany(t => t.GetMembers()).Where(m => !overridden.Contains(m.OriginalDefinition));
    }

    private static void CheckDeclaration(INamedTypeSymbol type, Reporter report)
    {
        for (var current = type; current is not null; current = current.ContainingType)
        {
            bool partial = current.DeclaringSyntaxReferences
                .Select(r => r.GetSyntax())
                .OfType<TypeDeclarationSyntax>()
                .Any(d => d.Modifiers.Any(SyntaxKind.PartialKeyword));
            if (!partial) report.Add(DiagnosticDescriptors.NotPartial, type, current.Name);
        }

        if (type.TypeKind != TypeKind.Class || type.IsRecord)
            report.Add(DiagnosticDescriptors.UnsupportedDeclaration, type, type.Name, "[Hypergradient] applies to classes (not records: a problem's variables are trained in place, so value equality would be misleading)");
        else if (type.IsStatic)
            report.Add(DiagnosticDescriptors.UnsupportedDeclaration, type, type.Name, "a bilevel problem holds its variables, so the class cannot be static");
        for (var current = type; current is not null; current = current.ContainingType)
            if (current.TypeParameters.Length > 0)
                report.Add(DiagnosticDescriptors.UnsupportedDeclaration, type, current.Name, "generic classes (and classes nested in generic types) cannot be bilevel problems; use a non-generic class");
    }

    private static void ReadVariables(INamedTypeSymbol type, List<VariableModel> inner, List<VariableModel> outer, Reporter report)
    {
        foreach (var member in AllMembers(type))
        {
            if (member is not (IFieldSymbol or IPropertySymbol)) continue;
            bool isInner = HasThroughOverrides(member, KnownNames.InnerAttribute);
            bool isOuter = HasThroughOverrides(member, KnownNames.OuterAttribute);
            if (!isInner && !isOuter) continue;

            if (isInner && isOuter)
            {
                report.Add(DiagnosticDescriptors.BothInnerAndOuter, member, member.Name);
                continue;
            }

            var memberType = member is IFieldSymbol field ? field.Type : ((IPropertySymbol)member).Type;
            var kind = KindOf(memberType);
            if (kind is null)
            {
                report.Add(DiagnosticDescriptors.UnsupportedVariableType, member, isInner ? "Inner" : "Outer", member.Name, memberType.ToDisplayString());
                continue;
            }
            if (member.IsStatic)
            {
                report.Add(DiagnosticDescriptors.UnsupportedDeclaration, member, member.Name, "variables are per problem instance; make the member non-static");
                continue;
            }
            if (!SymbolEqualityComparer.Default.Equals(member.ContainingType, type) && member.DeclaredAccessibility == Accessibility.Private)
            {
                report.Add(DiagnosticDescriptors.UnsupportedDeclaration, member, member.Name, $"it is private to the base class {member.ContainingType.Name}; make it protected so the generated code can read it");
                continue;
            }
            if (member is IPropertySymbol { GetMethod: null })
            {
                report.Add(DiagnosticDescriptors.UnsupportedDeclaration, member, member.Name, "a variable property needs a getter");
                continue;
            }

            (isInner ? inner : outer).Add(new VariableModel(member.Name, kind.Value, memberType.WithNullableAnnotation(NullableAnnotation.NotAnnotated).ToDisplayString(TypeFormat)));
        }
    }

    private static IMethodSymbol? ReadObjective(INamedTypeSymbol type, string attributeName, string shortName, Reporter report)
    {
        var methods = MethodsWith(type, attributeName);
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

    private static IMethodSymbol? ReadInnerStep(INamedTypeSymbol type, IMethodSymbol? innerObjective, SettingsModel? settings, Reporter report)
    {
        var methods = MethodsWith(type, KnownNames.InnerStepAttribute);
        if (methods.Length == 0) return null;
        foreach (var duplicate in methods.Skip(1))
            report.Add(DiagnosticDescriptors.DuplicateObjective, duplicate, duplicate.Name, "InnerStep", type.Name, methods[0].Name);

        var step = methods[0];
        if (settings is not null && MethodFamily.IsIterative(settings.Method))
            report.Add(DiagnosticDescriptors.UnsupportedDeclaration, step, step.Name,
                $"Method.{settings.Method} differentiates through the steps of BilevelOptions.InnerOptimizer, so an [InnerStep] is only used with implicit methods");
        if (!step.ReturnsVoid)
            report.Add(DiagnosticDescriptors.UnsupportedDeclaration, step, step.Name, "an [InnerStep] method takes one inner step and returns void");
        if (!CheckBatchParameters(step, report)) return null;
        if (innerObjective is not null && !SameParameterTypes(step, innerObjective))
            report.Add(DiagnosticDescriptors.UnsupportedDeclaration, step, step.Name,
                $"an [InnerStep] method consumes the inner objective's batch, so its parameters must have the types of '{innerObjective.Name}'s");
        return step;
    }

    private static bool CheckBatchParameters(IMethodSymbol method, Reporter report)
    {
        bool valid = true;
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
        }
        return valid;
    }

    private static bool SameParameterTypes(IMethodSymbol a, IMethodSymbol b) =>
        a.Parameters.Length == b.Parameters.Length
        && a.Parameters.Zip(b.Parameters, (x, y) => SymbolEqualityComparer.Default.Equals(x.Type, y.Type)).All(same => same);

    private static MethodModel ToModel(IMethodSymbol method) =>
        new(method.Name, new EquatableArray<ParameterModel>(method.Parameters.Select(p => new ParameterModel(p.Name, p.Type.ToDisplayString(TypeFormat)))));

    private static IEnumerable<string> ContainingTypeDeclarations(INamedTypeSymbol type)
    {
        var declarations = new List<string>();
        for (var current = type.ContainingType; current is not null; current = current.ContainingType)
        {
            string keyword = current.IsRecord
                ? (current.TypeKind == TypeKind.Struct ? "record struct" : "record")
                : current.TypeKind == TypeKind.Struct ? "struct" : current.TypeKind == TypeKind.Interface ? "interface" : "class";
            declarations.Insert(0, $"partial {keyword} {current.Name}");
        }
        return declarations;
    }

    private static string HintName(INamedTypeSymbol type)
    {
        var parts = new List<string>();
        for (var current = type; current is not null; current = current.ContainingType) parts.Insert(0, current.Name);
        if (!type.ContainingNamespace.IsGlobalNamespace) parts.Insert(0, type.ContainingNamespace.ToDisplayString());
        return string.Join(".", parts) + ".Hypergrad.g.cs";
    }
}
