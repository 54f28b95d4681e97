using System;
using System.Globalization;

namespace Hypergrad.Samples;

/// <summary>Reads <c>--name value</c> options from a sample's command line, with defaults.</summary>
public sealed class SampleArguments(string[] args)
{
    /// <summary>The value after <c>--name</c>, or <paramref name="fallback"/> when the option is absent.</summary>
    public string Get(string name, string fallback)
    {
        int at = Array.IndexOf(args, "--" + name);
        if (at < 0) return fallback;
        if (at + 1 >= args.Length)
            throw new ArgumentException($"Option --{name} needs a value.");
        return args[at + 1];
    }

    /// <summary>An integer option.</summary>
    public int Get(string name, int fallback) => int.Parse(Get(name, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);

    /// <summary>A floating-point option (invariant culture).</summary>
    public double Get(string name, double fallback) => double.Parse(Get(name, fallback.ToString("R", CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);

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
    public string? GetOptional(string name) => Has(name) ? Get(name, "") : null;

    /// <summary>True when <c>--name</c> is present.</summary>
    public bool Has(string name) => Array.IndexOf(args, "--" + name) >= 0;
}
