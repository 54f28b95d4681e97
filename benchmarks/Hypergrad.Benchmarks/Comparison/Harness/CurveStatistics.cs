using System;
using System.Collections.Generic;
using System.Linq;

namespace Hypergrad.Benchmarks.Comparison;

/// <summary>
/// Summaries over seeds as benchopt draws them: each run's curve is a step function of the x-axis (the last value
/// measured at or before x), the seeds' values at x give a median and a quantile band. A diverged run counts as +∞
/// from its last point on; a run that ended normally has no value beyond its last point, and x where fewer than half
/// of the seeds still have a value is left out.
/// </summary>
public static class CurveStatistics
{
    /// <summary>The run's value at <paramref name="x"/>: the last point at or before it; +∞ past a divergence; NaN past a normal end.</summary>
    public static double ValueAt(RunCurve run, CurveAxis axis, Func<CurvePoint, double> value, double x)
    {
        var points = run.Points;
        if (x < axis.Of(points[0])) return double.NaN;
        if (x > axis.Of(points[^1])) return run.Diverged ? double.PositiveInfinity : double.NaN;
        int at = 0;
        while (at + 1 < points.Count && axis.Of(points[at + 1]) <= x) at++;
        return value(points[at]);
    }

    /// <summary>
    /// The <paramref name="q"/>-quantile of <paramref name="values"/> with linear interpolation between order
    /// statistics (R's type 7, numpy's default); +∞ values sort last.
    /// </summary>
    public static double Quantile(IReadOnlyList<double> values, double q)
    {
        if (values.Count == 0) throw new ArgumentException("No values.", nameof(values));
        if (q is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(q), q, "A quantile is between 0 and 1.");
        var sorted = values.OrderBy(v => v).ToArray();
        double position = q * (sorted.Length - 1);
        int below = (int)Math.Floor(position);
        int above = Math.Min(below + 1, sorted.Length - 1);
        double fraction = position - below;
        if (fraction == 0 || sorted[below] == sorted[above]) return sorted[below];
        return sorted[below] + fraction * (sorted[above] - sorted[below]);
    }

    /// <summary>Median and <paramref name="low"/>/<paramref name="high"/> quantiles over the seeds at each x of <paramref name="grid"/>.</summary>
    public static IReadOnlyList<BandPoint> Band(IReadOnlyList<RunCurve> runs, CurveAxis axis, Func<CurvePoint, double> value,
        IEnumerable<double> grid, double low = 0.2, double high = 0.8)
    {
        var band = new List<BandPoint>();
        foreach (double x in grid)
        {
            var values = runs.Select(r => ValueAt(r, axis, value, x)).Where(v => !double.IsNaN(v)).ToArray();
            if (values.Length == 0 || 2 * values.Length < runs.Count) continue;
            band.Add(new BandPoint(x, Quantile(values, 0.5), Quantile(values, low), Quantile(values, high)));
        }
        return band;
    }

    /// <summary>The first x at which the run's value function F(w*(λ)) is at most <paramref name="target"/>, or null when it never is.</summary>
    public static double? FirstReach(RunCurve run, CurveAxis axis, double target) =>
        run.Points.FirstOrDefault(p => p.ValidationLoss <= target) is { } point ? axis.Of(point) : null;

    /// <summary>
    /// The median over seeds of the x at which the target is first reached, a seed that never reaches it counting as +∞
    /// (so the median is +∞, "not reached", unless more than half of the seeds reach it), and how many seeds reached it.
    /// </summary>
    public static (double Median, int Reached) MedianReach(IReadOnlyList<RunCurve> runs, CurveAxis axis, double target)
    {
        var reach = runs.Select(r => FirstReach(r, axis, target) ?? double.PositiveInfinity).ToArray();
        return (Quantile(reach, 0.5), reach.Count(double.IsFinite));
    }

    /// <summary><paramref name="count"/> points spread geometrically from <paramref name="first"/> to <paramref name="last"/>.</summary>
    public static IReadOnlyList<double> LogGrid(double first, double last, int count)
    {
        if (!(first > 0) || !(last > first) || count < 2) throw new ArgumentException($"LogGrid needs 0 < first < last and count ≥ 2 (got {first}, {last}, {count}).");
        return Enumerable.Range(0, count).Select(i => first * Math.Pow(last / first, (double)i / (count - 1))).ToArray();
    }
}

/// <summary>The median and a quantile band of the seeds' values at one x.</summary>
public sealed record BandPoint(double X, double Median, double Low, double High);
