using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Hypergrad.Generators.Model;

namespace Hypergrad.Generators.Emit;

/// <summary>Writes the attribute's settings as the runtime's <c>HypergradientSettings</c> (only the options the user set).</summary>
internal static class SettingsWriter
{
    /// <summary><c>HypergradientSettings __settings = new HypergradientSettings(Method.X) { … };</c> after a comment quoting the attribute.</summary>
    public static void Write(IndentedWriter writer, SettingsModel settings, string variable)
    {
        writer.Line($"// {AttributeText(settings)}");
        // Explicit types, never 'var': a user type named 'var' would be taken for it.
        writer.Line($"{BatchShape.Solving}.HypergradientSettings {variable} = new {BatchShape.Solving}.HypergradientSettings(global::Hypergrad.Method.{settings.Method})");
        using (writer.Block(closingSuffix: ";"))
            foreach (var (name, value) in SetOptions(settings))
                writer.Line($"{name} = {value},");
    }

    internal static IEnumerable<(string Name, string Value)> SetOptions(SettingsModel settings)
    {
        if (settings.Rank is int rank) yield return ("Rank", Int(rank));
        if (settings.Sampling is NystromSampling sampling) yield return ("Sampling", $"global::Hypergrad.NystromSampling.{sampling}");
        if (settings.SketchRefresh is int sketchRefresh) yield return ("SketchRefresh", Int(sketchRefresh));
        if (settings.Rho is double rho) yield return ("Rho", Double(rho));
        if (settings.Iterations is int iterations) yield return ("Iterations", Int(iterations));
        if (settings.Tolerance is double tolerance) yield return ("Tolerance", Double(tolerance));
        if (settings.Alpha is double alpha) yield return ("Alpha", Double(alpha));
        if (settings.Seed is int seed) yield return ("Seed", Int(seed));
        if (settings.WarmStart is bool warmStart) yield return ("WarmStart", warmStart ? "true" : "false");
        if (settings.Truncation is int truncation) yield return ("Truncation", Int(truncation));
        if (settings.UnrollSteps is int unrollSteps) yield return ("UnrollSteps", Int(unrollSteps));
        if (settings.Operations.Count > 0)
            yield return ("Operations", "new[] { " + string.Join(", ", settings.Operations.Select(o => $"global::Hypergrad.Operation.{o}")) + " }");
        if (settings.AggregationAlpha is double aggregationAlpha) yield return ("AggregationAlpha", Double(aggregationAlpha));
        if (settings.AggregationDecay is double aggregationDecay) yield return ("AggregationDecay", Double(aggregationDecay));
        if (settings.EquilibriumIterations is int equilibriumIterations) yield return ("EquilibriumIterations", Int(equilibriumIterations));
        if (settings.EquilibriumTolerance is double equilibriumTolerance) yield return ("EquilibriumTolerance", Double(equilibriumTolerance));
        if (settings.EquilibriumWarmStart is bool equilibriumWarmStart) yield return ("EquilibriumWarmStart", equilibriumWarmStart ? "true" : "false");
    }

    internal static string AttributeText(SettingsModel settings)
    {
        var options = SetOptions(settings).Select(o => $"{o.Name} = {o.Value.Replace("global::Hypergrad.", "")}");
        return $"[Hypergradient({string.Join(", ", new[] { $"Method.{settings.Method}" }.Concat(options))})]";
    }

    private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>A double as a C# literal that round-trips.</summary>
    internal static string Double(double value)
    {
        string text = value.ToString("R", CultureInfo.InvariantCulture);
        return text.Contains('.') || text.Contains('E') ? text : text + ".0";
    }
}
