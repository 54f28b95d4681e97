using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
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
    /// <summary>
    /// The model of <paramref name="type"/>, or null when its declaration is invalid. Every problem is added to
    /// <paramref name="diagnostics"/> when one is given; extraction continues after a problem so all are reported.
    /// </summary>
    public static ProblemModel? Extract(INamedTypeSymbol type, AttributeData attribute, ICollection<Diagnostic>? diagnostics, CancellationToken cancellationToken)
    {
        var report = new Reporter(diagnostics);

        CheckDeclaration(type, report);
        GeneratedNames.CheckClashes(type, report);
        // An equilibrium problem: a [FixedPointMap] takes the place of the inner objective (and of an inner step).
        bool hasMap = MemberLookup.MethodsWith(type, KnownNames.FixedPointMapAttribute).Length > 0;
        var settings = SettingsReader.Read(attribute, hasMap, report);

        var inner = new List<VariableModel>();
        var outer = new List<VariableModel>();
        ReadVariables(type, inner, outer, report);
        CheckInitializations(type, inner, outer, report);
        if (settings is not null && MethodFamilies.IsJoint(settings.Method))
            foreach (var variable in inner.Where(v => v.InitializedFrom is not null))
                if (MemberLookup.AllMembers(type).FirstOrDefault(m => m.Name == variable.Name) is { } member)
                    report.Add(DiagnosticDescriptors.JointMethodWithInitialization, member, variable.Name, variable.InitializedFrom!, settings.Method);
        if (inner.Count == 0) report.Add(DiagnosticDescriptors.MissingVariables, type, type.Name, "Inner", "inner");
        if (outer.Count == 0) report.Add(DiagnosticDescriptors.MissingVariables, type, type.Name, "Outer", "outer");

        cancellationToken.ThrowIfCancellationRequested();
        var innerObjective = hasMap ? null : MethodReader.ReadObjective(type, KnownNames.InnerObjectiveAttribute, "InnerObjective", report);
        var outerObjective = MethodReader.ReadObjective(type, KnownNames.OuterObjectiveAttribute, "OuterObjective", report);
        var innerStep = hasMap ? null : MethodReader.ReadInnerStep(type, innerObjective, settings, report);
        var fixedPointMap = hasMap ? FixedPointMapReader.Read(type, attribute, settings, inner, outerObjective, report) : null;

        if (report.HasErrors || settings is null || outerObjective is null || (hasMap ? fixedPointMap is null : innerObjective is null))
            return null;

        string ns = type.ContainingNamespace.IsGlobalNamespace ? "" : type.ContainingNamespace.ToDisplayString(KnownNames.NamespaceFormat);
        var batches = (fixedPointMap is null ? new[] { innerObjective!, outerObjective } : new[] { outerObjective })
            .SelectMany(m => m.Parameters).Select(p => p.Type).ToList();
        string accessibility = Accessibilities.MemberKeyword(batches);
        return new ProblemModel(
            ns,
            new EquatableArray<string>(ContainingTypeDeclarations(type)),
            type.Name,
            HintName(type),
            settings,
            new EquatableArray<VariableModel>(inner),
            new EquatableArray<VariableModel>(outer),
            innerObjective is null ? null : MethodReader.ToModel(innerObjective),
            MethodReader.ToModel(outerObjective),
            innerStep is null ? null : MethodReader.ToModel(innerStep),
            fixedPointMap,
            accessibility,
            accessibility == "public" && !batches.Any(Accessibilities.ContainsDynamic));
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

        // The generated file holds the other half of the class: a file-local class cannot have one.
        for (var current = type; current is not null; current = current.ContainingType)
            if (current.IsFileLocal)
                report.Add(DiagnosticDescriptors.UnsupportedDeclaration, type, current.Name,
                    "a file-local type cannot be completed by generated code in another file; remove 'file'");

        // Init-only settings and nullable annotations in the generated code need C# 9.
        if (type.DeclaringSyntaxReferences.FirstOrDefault()?.SyntaxTree.Options is CSharpParseOptions options && options.LanguageVersion < LanguageVersion.CSharp9)
            report.Add(DiagnosticDescriptors.LanguageVersionTooOld, type, type.Name, options.LanguageVersion.ToDisplayString());

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
        foreach (var member in MemberLookup.AllMembers(type))
        {
            if (member is not (IFieldSymbol or IPropertySymbol)) continue;
            bool isInner = MemberLookup.HasThroughOverrides(member, KnownNames.InnerAttribute);
            bool isOuter = MemberLookup.HasThroughOverrides(member, KnownNames.OuterAttribute);
            if (!isInner && !isOuter) continue;

            if (isInner && isOuter)
            {
                report.Add(DiagnosticDescriptors.BothInnerAndOuter, member, member.Name);
                continue;
            }

            var memberType = member is IFieldSymbol field ? field.Type : ((IPropertySymbol)member).Type;
            var kind = MemberLookup.KindOf(memberType);
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
            if (member is IPropertySymbol { IsIndexer: true } || member is IPropertySymbol { ExplicitInterfaceImplementations.Length: > 0 })
            {
                report.Add(DiagnosticDescriptors.UnsupportedDeclaration, member, member.Name,
                    "a variable is an ordinary field or property of the class (not an indexer or an explicit interface implementation)");
                continue;
            }
            if (member is IPropertySymbol { GetMethod: null })
            {
                report.Add(DiagnosticDescriptors.UnsupportedDeclaration, member, member.Name, "a variable property needs a getter");
                continue;
            }

            string? initializedFrom = isInner ? MemberLookup.InitializedFrom(member) : null;
            (double? min, double? max) = (null, null);
            if (!isInner)
            {
                (min, max) = MemberLookup.OuterBounds(member, out var invalid);
                if (invalid is not null) report.Add(DiagnosticDescriptors.InvalidOuterBounds, member, member.Name, invalid);
            }
            (isInner ? inner : outer).Add(new VariableModel(member.Name, kind.Value,
                memberType.WithNullableAnnotation(NullableAnnotation.NotAnnotated).ToDisplayString(KnownNames.TypeFormat), initializedFrom, min, max));
        }
    }

    /// <summary>HG0017: each InitializedFrom names an [Outer] member of the same kind (a module for a module).</summary>
    private static void CheckInitializations(INamedTypeSymbol type, List<VariableModel> inner, List<VariableModel> outer, Reporter report)
    {
        foreach (var variable in inner)
        {
            if (variable.InitializedFrom is not { } source) continue;
            var member = MemberLookup.AllMembers(type).FirstOrDefault(m => m.Name == variable.Name);
            var target = outer.FirstOrDefault(o => o.Name == source);
            string? problem =
                target is null ? $"which is not an [Outer] member of {type.Name}; name the meta-initialization's [Outer] member (nameof(…))"
                : (target.Kind == VariableKind.Module) != (variable.Kind == VariableKind.Module) ? $"which is a {target.Kind.ToString().ToLowerInvariant()} while '{variable.Name}' is a {variable.Kind.ToString().ToLowerInvariant()}; initialize a module from a module and a tensor from a tensor"
                : null;
            if (problem is not null && member is not null) report.Add(DiagnosticDescriptors.InvalidInitialization, member, variable.Name, source, problem);
        }
    }

    private static IEnumerable<string> ContainingTypeDeclarations(INamedTypeSymbol type)
    {
        var declarations = new List<string>();
        for (var current = type.ContainingType; current is not null; current = current.ContainingType)
        {
            string keyword = current.IsRecord
                ? (current.TypeKind == TypeKind.Struct ? "record struct" : "record")
                : current.TypeKind == TypeKind.Struct ? "struct" : current.TypeKind == TypeKind.Interface ? "interface" : "class";
            declarations.Insert(0, $"partial {keyword} {KnownNames.Identifier(current.Name)}");
        }
        return declarations;
    }

    /// <summary>
    /// "Namespace.Outer.Class.Hypergrad.g.cs", unique per class: names without '@', and any character but ASCII
    /// letters, digits and '_' written as _uXXXX (a hint name with other characters makes AddSource throw).
    /// </summary>
    private static string HintName(INamedTypeSymbol type)
    {
        var parts = new List<string>();
        for (var current = type; current is not null; current = current.ContainingType) parts.Insert(0, current.Name);
        for (var current = type.ContainingNamespace; current is { IsGlobalNamespace: false }; current = current.ContainingNamespace) parts.Insert(0, current.Name);
        var hint = new StringBuilder();
        foreach (var part in parts)
        {
            if (hint.Length > 0) hint.Append('.');
            foreach (char c in part)
                if (c is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or >= '0' and <= '9' or '_') hint.Append(c);
                else hint.Append("_u").Append(((int)c).ToString("X4", System.Globalization.CultureInfo.InvariantCulture));
        }
        return hint + ".Hypergrad.g.cs";
    }
}
