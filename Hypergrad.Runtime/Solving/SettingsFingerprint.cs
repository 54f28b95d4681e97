using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;
using Hypergrad.Optimizers;

namespace Hypergrad.Solving;

/// <summary>
/// The settings a checkpoint was written under, as (name, value) entries: the method and its options, the run's
/// schedule (unroll steps, patience) and both optimizers' kind and hyperparameters. A resume compares them with the
/// new run's, so a checkpoint is not continued silently under other settings. <see cref="BilevelOptions.Steps"/> is
/// not part of it (extending a finished run is a resume), nor is <see cref="BilevelOptions.CheckpointInterval"/>.
/// </summary>
internal sealed class SettingsFingerprint
{
    private readonly List<(string Name, string Value)> entries;

    private SettingsFingerprint(List<(string Name, string Value)> entries) => this.entries = entries;

    /// <summary>The fingerprint of a run of a problem with <paramref name="settings"/> under <paramref name="options"/>.</summary>
    public static SettingsFingerprint Of(HypergradientSettings settings, BilevelOptions options, int unrollSteps)
    {
        var entries = new List<(string, string)>();
        foreach (var property in typeof(HypergradientSettings).GetProperties(BindingFlags.Public | BindingFlags.Instance)
                     .Where(p => p.CanWrite || p.Name == nameof(HypergradientSettings.Method)).OrderBy(p => p.Name, StringComparer.Ordinal))
        {
            if (property.Name == nameof(HypergradientSettings.UnrollSteps)) continue;   // the resolved value below
            entries.Add(("Method " + property.Name, Text(property.GetValue(settings))));
        }
        entries.Add(("UnrollSteps", Text(unrollSteps)));
        entries.Add(("Patience", Text(options.Patience)));
        if (options.InnerOptimizer is { } inner) AddObject(entries, "InnerOptimizer", inner);
        else entries.Add(("InnerOptimizer", "none"));
        options.OuterOptimizer?.Describe((name, value) => entries.Add(("OuterOptimizer" + name, value)));
        return new SettingsFingerprint(entries);
    }

    /// <summary>Adds the kind of <paramref name="value"/> and its fields of simple types (constants, flags, hyperparameters).</summary>
    internal static void AddObject(List<(string, string)> entries, string prefix, object value)
    {
        var type = value.GetType();
        entries.Add((prefix, type.Name));
        for (var t = type; t is not null && t != typeof(object); t = t.BaseType)
            foreach (var field in t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly)
                         .OrderBy(f => f.Name, StringComparer.Ordinal))
                if (IsSimple(field.FieldType))
                    entries.Add(($"{prefix}.{Clean(field.Name)}", Text(field.GetValue(value))));
    }

    /// <summary>Adds the public properties and fields of simple types of <paramref name="value"/> (torch.optim's options).</summary>
    internal static void AddProperties(List<(string, string)> entries, string prefix, object value)
    {
        var type = value.GetType();
        var members = type.GetProperties(BindingFlags.Instance | BindingFlags.Public)
            .Where(p => p.GetIndexParameters().Length == 0 && p.CanRead && IsSimple(p.PropertyType))
            .Select(p => (p.Name, Value: p.GetValue(value)))
            .Concat(type.GetFields(BindingFlags.Instance | BindingFlags.Public).Where(f => IsSimple(f.FieldType)).Select(f => (f.Name, Value: f.GetValue(value))));
        foreach (var (name, member) in members.OrderBy(m => m.Name, StringComparer.Ordinal))
            entries.Add(($"{prefix}.{name}", Text(member)));
    }

    private static bool IsSimple(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        return type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || type == typeof(Hyperparameter);
    }

    // Auto-property backing fields read "<LearningRate>k__BackingField".
    private static string Clean(string field) => field.StartsWith('<') ? field[1..field.IndexOf('>')] : field;

    private static string Text(object? value) => value switch
    {
        null => "unset",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        // A tensor hyperparameter is an outer variable: its value is checkpointed with the variables.
        Hyperparameter h => h.IsConstant ? Text(h.Constant) : h.Function is not null ? "a per-step function" : "a tensor",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        string s => s,
        IEnumerable list => "[" + string.Join(", ", list.Cast<object?>().Select(Text)) + "]",
        _ => value.ToString() ?? "",
    };

    /// <summary>Each entry that differs, as "name: checkpoint X, this run Y"; empty when the settings match.</summary>
    public IReadOnlyList<string> DifferencesFrom(SettingsFingerprint saved)
    {
        var mine = entries.ToDictionary(e => e.Name, e => e.Value);
        var theirs = saved.entries.ToDictionary(e => e.Name, e => e.Value);
        var differences = new List<string>();
        foreach (var (name, value) in saved.entries)
            if (!mine.TryGetValue(name, out var now)) differences.Add($"{name}: checkpoint {value}, this run has none");
            else if (now != value) differences.Add($"{name}: checkpoint {value}, this run {now}");
        foreach (var (name, value) in entries)
            if (!theirs.ContainsKey(name)) differences.Add($"{name}: checkpoint has none, this run {value}");
        return differences;
    }

    public void Write(BinaryWriter writer)
    {
        writer.Write(entries.Count);
        foreach (var (name, value) in entries)
        {
            writer.Write(name);
            writer.Write(value);
        }
    }

    public static SettingsFingerprint Read(BinaryReader reader)
    {
        int count = reader.ReadInt32();
        var entries = new List<(string, string)>(count);
        for (int i = 0; i < count; i++) entries.Add((reader.ReadString(), reader.ReadString()));
        return new SettingsFingerprint(entries);
    }
}
