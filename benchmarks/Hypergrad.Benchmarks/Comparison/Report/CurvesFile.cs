using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;

namespace Hypergrad.Benchmarks.Comparison;

/// <summary>
/// Every measured point of every run as CSV, for plotting elsewhere: method, seed, seconds, evaluations, value function
/// F(w*(λ)) and test accuracy of w*(λ), validation loss and test accuracy at the method's own w, whether the run diverged,
/// and the largest gradient entry its re-solves of w*(λ) left.
/// </summary>
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
            p.IterateValidationLoss.ToString("G8", CultureInfo.InvariantCulture), p.IterateTestAccuracy.ToString("G6", CultureInfo.InvariantCulture),
            r.Diverged ? "1" : "0", r.InnerGradient.ToString("G3", CultureInfo.InvariantCulture))));
        File.WriteAllLines(path, lines.Prepend(Header));
        return path;
    }

    /// <summary>
    /// The runs of a file written by <see cref="Write"/> (for <c>compare --replot</c>): their points and whether they
    /// diverged; step counts, warnings and divergence messages are not in the file.
    /// </summary>
    public static IReadOnlyList<RunCurve> Read(string path)
    {
        var lines = File.ReadAllLines(path);
        if (lines.Length == 0 || lines[0] != Header) throw new InvalidDataException($"'{path}' is not a curves file of 'compare' (header '{Header}').");
        double Number(string text) => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
        return lines.Skip(1).Where(l => l.Length > 0).Select(l => l.Split(','))
            .GroupBy(c => (Method: c[0], Seed: int.Parse(c[1], CultureInfo.InvariantCulture)))
            .Select(g => new RunCurve(g.Key.Method, g.Key.Seed,
                g.Select(c => new CurvePoint(Number(c[2]), Number(c[3]), Number(c[4]), Number(c[5]), Number(c[6]), Number(c[7]))).ToArray(),
                g.First()[8] == "1" ? "diverged (read from the curves file)" : null, 0, 0, new Dictionary<string, int>(), Number(g.First()[9])))
            .ToArray();
    }

    const string Header = "method,seed,seconds,evaluations,value_function,test_accuracy,iterate_validation_loss,iterate_test_accuracy,diverged,inner_gradient";
}
