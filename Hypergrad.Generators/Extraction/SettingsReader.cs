using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using Hypergrad.Analyzers;
using Hypergrad.Generators.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Hypergrad.Generators.Extraction;

/// <summary>
/// Reads the method and named options of a <c>[Hypergradient]</c> attribute and checks them against
/// <see cref="OptionRules"/> (HG0012 out of range, HG0016 not used, HG0013 composition): the same rules
/// <c>HypergradientSettings</c> applies at run time.
/// </summary>
internal static class SettingsReader
{
    /// <summary>The settings, or null when the method argument is missing or unknown (the code does not compile then).</summary>
    /// <param name="attribute">The <c>[Hypergradient]</c> attribute.</param>
    /// <param name="fixedPointMap">True when the class has a <c>[FixedPointMap]</c>.</param>
    /// <param name="report">Where problems go.</param>
    public static SettingsModel? Read(AttributeData attribute, bool fixedPointMap, Reporter report)
    {
        if (attribute.ConstructorArguments.Length != 1 || attribute.ConstructorArguments[0].Value is not int methodValue)
            return null;   // does not compile
        if (!Enum.IsDefined(typeof(Method), methodValue))
        {
            var syntax = attribute.ApplicationSyntaxReference?.GetSyntax() as AttributeSyntax;
            report.Add(DiagnosticDescriptors.InvalidOption, syntax?.ArgumentList?.Arguments.FirstOrDefault()?.GetLocation() ?? syntax?.GetLocation(),
                "Method", methodValue.ToString(CultureInfo.InvariantCulture), "it is not one of the Method values; choose one (e.g. Method.ConjugateGradient)");
            return null;
        }
        var method = (Method)methodValue;

        // Pass 1: the values, by rule (a name the table does not know is not an attribute property: it does not compile).
        var values = new Dictionary<OptionRule, TypedConstant>();
        foreach (var argument in attribute.NamedArguments)
            if (OptionRules.Find(argument.Key) is { } rule) values[rule] = argument.Value;
        Operation[]? operations = values.TryGetValue(OptionRules.Operations, out var list) && list.Kind == TypedConstantKind.Array && !list.IsNull
            ? list.Values.Select(o => o.Value is int i ? (Operation)i : (Operation)(-1)).ToArray()
            : null;
        var context = new OptionContext(method, operations, fixedPointMap);

        // Pass 2: each value against its rule, in table order.
        var options = new List<OptionModel>();
        foreach (var rule in OptionRules.All)
        {
            if (!values.TryGetValue(rule, out var constant)) continue;
            var location = LocationOf(attribute, rule.Name);
            if (rule.Type == OptionType.Operations)
            {
                if (operations is null) continue;
                options.Add(new OptionModel(rule.Name, "new[] { " + string.Join(", ", operations.Select(o => $"global::Hypergrad.Operation.{o}")) + " }"));
            }
            else
            {
                if (constant.Kind == TypedConstantKind.Array || NumberOf(constant.Value) is not double number) continue;   // does not compile
                if (rule.WhyInvalid(context, number) is { } reason)
                    report.Add(DiagnosticDescriptors.InvalidOption, location, rule.Name, rule.Format(number), reason);
                options.Add(new OptionModel(rule.Name, rule.EnumType is { } enumType ? EnumLiteral(enumType, (int)number) : Literal(rule.Type, number)));
            }
            if (!rule.AppliesTo(context) && rule.Type != OptionType.Operations)   // Operations with an implicit method: HG0013 below
                report.Add(DiagnosticDescriptors.OptionIgnored, location, rule.Name, context.Describe() +
                    (fixedPointMap ? " on a [FixedPointMap] problem" : rule.AppliesTo(new OptionContext(method, operations, fixedPointMap: true)) ? " without a [FixedPointMap]" : ""));
        }

        if (method == Method.Saba && values.TryGetValue(OptionRules.StepExponent, out var exponent) && NumberOf(exponent.Value) is double a && a > 0)
            report.Add(DiagnosticDescriptors.SabaWithDecreasingSteps, LocationOf(attribute, OptionRules.StepExponent.Name), OptionRules.StepExponent.Format(a));

        int? Integer(OptionRule rule) => values.TryGetValue(rule, out var c) && c.Value is int v ? v : null;
        double? Real(OptionRule rule) => values.TryGetValue(rule, out var c) && c.Value is double v ? v : null;
        int? truncation = Integer(OptionRules.Truncation), unrollSteps = Integer(OptionRules.UnrollSteps);

        if (operations is not null)
            CheckComposition(attribute, method, operations, unrollSteps, truncation, Real(OptionRules.AggregationAlpha), Real(OptionRules.AggregationDecay), report);
        else if (OptionRules.Truncation.AppliesTo(context) && (truncation is null || unrollSteps is not null)
                 && OptionRules.WhyTruncationInvalid(truncation, unrollSteps ?? (int)OptionRules.UnrollSteps.Default(context)!.Value) is { } why)
        {
            // Truncation < UnrollSteps, or Truncation missing: at the Truncation argument, or at the attribute.
            var diagnosticLocation = truncation is null ? attribute.ApplicationSyntaxReference?.GetSyntax().GetLocation() : LocationOf(attribute, OptionRules.Truncation.Name);
            report.Add(DiagnosticDescriptors.InvalidOption, diagnosticLocation, OptionRules.Truncation.Name, OptionRules.TruncationValue(truncation), why);
        }

        return new SettingsModel(method, new EquatableArray<OptionModel>(options));
    }

    /// <summary>HG0013 (HG0012 for a value that is no Operation): the runtime's own composition rules on the declared operations.</summary>
    private static void CheckComposition(AttributeData attribute, Method method, Operation[] operations, int? unrollSteps, int? truncation,
        double? aggregationAlpha, double? aggregationDecay, Reporter report)
    {
        var location = LocationOf(attribute, OptionRules.Operations.Name);
        if (operations.FirstOrDefault(o => !Enum.IsDefined(typeof(Operation), o)) is var unknown && !Enum.IsDefined(typeof(Operation), unknown))
        {
            report.Add(DiagnosticDescriptors.InvalidOption, location, "Operations", ((int)unknown).ToString(CultureInfo.InvariantCulture),
                "it is not one of the Operation values");
            return;
        }
        if (OptionRules.WhyCompositionInvalid(method, operations, unrollSteps, truncation, aggregationAlpha, aggregationDecay) is not { } why) return;
        if (OptionRules.WhyOperationsInvalid(method) is not null)
        {
            report.Add(DiagnosticDescriptors.InvalidComposition, location, why, "");
            return;
        }
        // The fix (and the message) propose a list that passes the same rules with the same step counts.
        int steps = OptionRules.CompositionUnrollSteps(operations, unrollSteps, truncation);
        var valid = Hypergrad.Unrolled.CompositionRepair.ClosestValid(operations, steps, truncation ?? 0, aggregationAlpha ?? 0.5, aggregationDecay ?? 1.0);
        report.Add(DiagnosticDescriptors.InvalidComposition, location,
            ImmutableDictionary<string, string?>.Empty.Add(DiagnosticProperties.ValidOperations, string.Join(",", valid)),
            why, $". A valid list close to it: {Hypergrad.Unrolled.CompositionRules.Describe(valid)}");
    }

    private static double? NumberOf(object? value) => value switch
    {
        int i => i,
        double d => d,
        bool b => b ? 1 : 0,
        _ => null,
    };

    /// <summary>An enum value as C# source: its qualified name, or a cast when it has none.</summary>
    private static string EnumLiteral(Type enumType, int value) =>
        Enum.GetName(enumType, value) is { } name ? $"global::{enumType.FullName}.{name}" : $"(global::{enumType.FullName})({value.ToString(CultureInfo.InvariantCulture)})";

    /// <summary>The value as C# source that compiles (non-finite doubles are refused by HG0012, but must not break the build further).</summary>
    private static string Literal(OptionType type, double value)
    {
        switch (type)
        {
            case OptionType.Integer: return ((long)value).ToString(CultureInfo.InvariantCulture);
            case OptionType.Flag: return value != 0 ? "true" : "false";
        }
        if (double.IsNaN(value)) return "double.NaN";
        if (double.IsPositiveInfinity(value)) return "double.PositiveInfinity";
        if (double.IsNegativeInfinity(value)) return "double.NegativeInfinity";
        string text = value.ToString("R", CultureInfo.InvariantCulture);
        return text.Contains(".") || text.Contains("E") ? text : text + ".0";
    }

    /// <summary>The <c>Name = value</c> argument's location, or the attribute's when it is not in source.</summary>
    internal static Location? LocationOf(AttributeData attribute, string name)
    {
        if (attribute.ApplicationSyntaxReference?.GetSyntax() is not AttributeSyntax syntax) return null;
        var argument = syntax.ArgumentList?.Arguments.FirstOrDefault(a => a.NameEquals?.Name.Identifier.ValueText == name);
        return (argument ?? (SyntaxNode)syntax).GetLocation();
    }
}
