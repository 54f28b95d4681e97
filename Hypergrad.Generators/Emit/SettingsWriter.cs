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

    /// <summary>The options the attribute sets, as C# source, in the rule table's order (extraction did the formatting).</summary>
    internal static IEnumerable<(string Name, string Value)> SetOptions(SettingsModel settings) =>
        settings.Options.Select(option => (option.Name, option.Value));

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
