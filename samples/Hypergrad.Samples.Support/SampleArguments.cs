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

    /// <summary>True when <c>--name</c> is present.</summary>
    public bool Has(string name) => Array.IndexOf(args, "--" + name) >= 0;
}
