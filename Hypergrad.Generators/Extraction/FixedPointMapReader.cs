using System.Collections.Generic;
using System.Linq;
using Hypergrad.Analyzers;
using Hypergrad.Generators.Model;
using Microsoft.CodeAnalysis;

namespace Hypergrad.Generators.Extraction;

/// <summary>Reads and validates the <c>[FixedPointMap]</c> of an equilibrium problem (HG0018–HG0020).</summary>
internal static class FixedPointMapReader
{
    /// <summary>The map's model, or null when the class has no [FixedPointMap] or it is invalid (reported).</summary>
    public static FixedPointMapModel? Read(INamedTypeSymbol type, AttributeData attribute, SettingsModel? settings, IReadOnlyList<VariableModel> inner,
        IMethodSymbol? outerObjective, Reporter report)
    {
        var methods = MemberLookup.MethodsWith(type, KnownNames.FixedPointMapAttribute);
        if (methods.Length == 0) return null;
        foreach (var duplicate in methods.Skip(1))
            report.Add(DiagnosticDescriptors.DuplicateObjective, duplicate, duplicate.Name, "FixedPointMap", type.Name, methods[0].Name);
        var map = methods[0];
        bool valid = true;

        foreach (var (attributeName, shortName) in new[] { (KnownNames.InnerObjectiveAttribute, "InnerObjective"), (KnownNames.InnerStepAttribute, "InnerStep") })
            foreach (var other in MemberLookup.MethodsWith(type, attributeName))
            {
                report.Add(DiagnosticDescriptors.FixedPointMapWithInnerObjective, other, type.Name, map.Name, shortName, other.Name);
                valid = false;
            }

        if (settings is not null && FixedPointMapMethods.WhyNot(settings.Method) is { } why)
        {
            report.Add(DiagnosticDescriptors.MethodNeedsSymmetricMatrix, attribute.ApplicationSyntaxReference?.GetSyntax().GetLocation(), settings.Method.ToString(), why);
            valid = false;
        }

        if (!SymbolEqualityComparer.Default.Equals(map.ContainingType, type) && map.DeclaredAccessibility == Accessibility.Private)
            valid &= Invalid(map, $"it is private to the base class {map.ContainingType.Name}; make it protected so the generated code can call it", report);
        valid &= MethodReader.CheckBatchParameters(map, report);

        // Tensor Map(Tensor z, batch…) or Func<Tensor, Tensor> Map(batch…).
        bool returnsMap = map.ReturnType.ToDisplayString() == KnownNames.Func;
        bool returnsState = KnownNames.IsOrDerivesFrom(map.ReturnType, KnownNames.Tensor)
                            && map.Parameters.Length > 0 && map.Parameters[0].Type.ToDisplayString() == KnownNames.Tensor;
        if (!returnsMap && !returnsState)
            valid &= Invalid(map, $"it returns '{map.ReturnType.ToDisplayString()}'" + (map.Parameters.Length == 0 ? " and takes no state" : "") +
                "; declare 'Tensor " + map.Name + "(Tensor z, <batch>)' returning Φ(z), or 'Func<Tensor, Tensor> " + map.Name + "(<batch>)' returning z => Φ(z)", report);
        var batch = (returnsMap ? map.Parameters : map.Parameters.Skip(1)).ToArray();

        // The state z is the single [Inner] Tensor.
        if (inner.Count != 1 || inner[0].Kind == VariableKind.Module)
            valid &= Invalid(map, inner.Count == 1
                ? $"its state is the [Inner] member, but '{inner[0].Name}' is a module; mark one Tensor (the equilibrium state z) [Inner]"
                : $"its state is the single [Inner] Tensor, but the class has {inner.Count} [Inner] members ({string.Join(", ", inner.Select(v => v.Name))}); keep one", report);

        // The loss is read at the equilibrium of the same batch.
        if ((returnsMap || returnsState) && outerObjective is not null && !(outerObjective.Parameters.Length == batch.Length
            && outerObjective.Parameters.Zip(batch, (a, b) => SymbolEqualityComparer.Default.Equals(a.Type, b.Type)).All(same => same)))
            valid &= Invalid(map, $"the [OuterObjective] '{outerObjective.Name}' reads the equilibrium on the map's batch, so it must take the map's batch parameters " +
                $"({string.Join(", ", batch.Select(p => p.Type.ToDisplayString()))})", report);

        if (!valid) return null;
        return new FixedPointMapModel(
            MethodReader.ToModel(map) with { Parameters = new EquatableArray<ParameterModel>(batch.Select(p => new ParameterModel(p.Name, p.Type.ToDisplayString(KnownNames.TypeFormat)))) },
            returnsMap);
    }

    /// <summary>HG0016: the Equilibrium* options mean nothing without a [FixedPointMap].</summary>
    public static void ReportEquilibriumOptionsWithoutMap(AttributeData attribute, SettingsModel settings, Reporter report)
    {
        foreach (var (name, set) in new[] { ("EquilibriumIterations", settings.EquilibriumIterations is not null),
                     ("EquilibriumTolerance", settings.EquilibriumTolerance is not null), ("EquilibriumWarmStart", settings.EquilibriumWarmStart is not null) })
            if (set) report.Add(DiagnosticDescriptors.OptionIgnored, SettingsReader.LocationOf(attribute, name), name, $"{settings.Method} without a [FixedPointMap]");
    }

    private static bool Invalid(IMethodSymbol map, string problem, Reporter report)
    {
        report.Add(DiagnosticDescriptors.InvalidFixedPointMap, map, map.Name, problem);
        return false;
    }
}
