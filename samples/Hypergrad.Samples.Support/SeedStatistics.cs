using System;
using System.Collections.Generic;
using System.Linq;

namespace Hypergrad.Samples;

/// <summary>How the samples summarise one number measured over several seeds.</summary>
public static class SeedStatistics
{
    /// <summary>"mean ± std" with the sample standard deviation (n − 1); the std is 0 for a single seed.</summary>
    public static string MeanStd(IEnumerable<double> values, string format)
    {
        var v = values.ToArray();
        double mean = v.Average();
        double std = v.Length > 1 ? Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / (v.Length - 1)) : 0;
        return $"{mean.ToString(format)} ± {std.ToString(format)}";
    }
}
