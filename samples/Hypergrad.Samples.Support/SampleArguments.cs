using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace Hypergrad.Samples;

/// <summary>Reads <c>--name value</c> options from a sample's command line, with defaults.</summary>
/// <remarks>
/// A mistyped option must not be silently ignored (the run would use the default and the user would trust
/// numbers of another configuration): after reading its options a sample calls <see cref="EnsureAllUsed"/>.
/// </remarks>
public sealed class SampleArguments(string[] args)
{
    readonly HashSet<string> known = new();

    /// <summary>The value after <c>--name</c>, or <paramref name="fallback"/> when the option is absent.</summary>
    public string Get(string name, string fallback)
    {
        known.Add(name);
        int at = Array.IndexOf(args, "--" + name);
        if (at < 0) return fallback;
        if (at + 1 >= args.Length)
            throw new ArgumentException($"Option --{name} needs a value.");
        return args[at + 1];
    }

    /// <summary>An integer option.</summary>
    public int Get(string name, int fallback) => Parse<int>(name, Get(name, fallback.ToString(CultureInfo.InvariantCulture)),
        text => int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : (int?)null, "an integer");

    /// <summary>A floating-point option (invariant culture: "0.5", "1e-3").</summary>
    public double Get(string name, double fallback) => Parse<double>(name, Get(name, fallback.ToString("R", CultureInfo.InvariantCulture)),
        text => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? value : (double?)null, "a number");

    /// <summary>
    /// <paramref name="defaults"/> with the options every sample has read from the command line:
    /// <c>--outer-steps</c>, <c>--unroll-steps</c>, <c>--seed</c>, <c>--output</c>.
    /// </summary>
    public TSettings WithCommonOptions<TSettings>(TSettings defaults) where TSettings : SampleSettings =>
        (TSettings)(defaults with
        {
            OuterSteps = Get("outer-steps", defaults.OuterSteps),
            UnrollSteps = Get("unroll-steps", defaults.UnrollSteps),
            Seed = Get("seed", defaults.Seed),
            OutputDirectory = Get("output", defaults.OutputDirectory ?? "results"),
        });

    /// <summary>An optional text option: its value, or null when absent.</summary>
    public string? GetOptional(string name) => Has(name) ? Get(name, "") : Mark(name);

    /// <summary>True when <c>--name</c> is present.</summary>
    public bool Has(string name) => Array.IndexOf(args, "--" + name) >= 0;

    /// <summary>A switch without a value: true when <c>--name</c> is present (and a known option either way).</summary>
    public bool Flag(string name)
    {
        Mark(name);
        return Has(name);
    }

    /// <summary>Throws an <see cref="ArgumentException"/> naming every <c>--option</c> given that the sample did not read, and the ones it knows.</summary>
    public void EnsureAllUsed()
    {
        var unknown = args.Where(a => a.StartsWith("--", StringComparison.Ordinal) && !known.Contains(a[2..])).ToArray();
        if (unknown.Length > 0)
            throw new ArgumentException(
                $"Unknown option{(unknown.Length > 1 ? "s" : "")} {string.Join(", ", unknown)}; this sample takes {string.Join(", ", known.Order().Select(k => "--" + k))}.");
    }

    string? Mark(string name)
    {
        known.Add(name);
        return null;
    }

    static T Parse<T>(string name, string text, Func<string, T?> parse, string what) where T : struct =>
        parse(text) ?? throw new ArgumentException($"Option --{name} must be {what}, not '{text}'.");
}
