using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;

namespace Hypergrad.Benchmarks.Comparison;

/// <summary>Every measured point of every run as CSV, for plotting elsewhere: method, seed, seconds, evaluations, validation loss, test accuracy, diverged.</summary>
public static class CurvesFile
{
    /// <summary>Writes the runs to <paramref name="path"/>.</summary>
    public static string Write(string path, IEnumerable<RunCurve> runs)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var lines = runs.SelectMany(r => r.Points.Select(p => string.Join(",",
            r.Method, r.Seed.ToString(CultureInfo.InvariantCulture),
            p.Seconds.ToString("G6", CultureInfo.InvariantCulture), p.Evaluations.ToString("G6", CultureInfo.InvariantCulture),
            p.ValidationLoss.ToString("G8", CultureInfo.InvariantCulture), p.TestAccuracy.ToString("G6", CultureInfo.InvariantCulture),
            r.Diverged ? "1" : "0")));
        File.WriteAllLines(path, lines.Prepend("method,seed,seconds,evaluations,validation_loss,test_accuracy,diverged"));
        return path;
    }
}
