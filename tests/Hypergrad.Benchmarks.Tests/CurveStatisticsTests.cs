using Hypergrad.Benchmarks.Comparison;
using Xunit;

namespace Hypergrad.Benchmarks.Tests;

public class CurveStatisticsTests
{
    static readonly Dictionary<string, int> NoWarnings = new();

    // A synthetic curve: (seconds, evaluations, validation loss).
    static RunCurve Curve(int seed, bool diverged, params (double Seconds, double Evaluations, double Loss)[] points) =>
        new("m", seed, points.Select(p => new CurvePoint(p.Seconds, p.Evaluations, p.Loss, 0.5)).ToArray(), diverged ? "diverged" : null, points.Length - 1, 0, NoWarnings);

    [Fact]
    public void QuantileInterpolatesBetweenOrderStatisticsLikeNumpy()
    {
        // numpy.quantile([4, 1, 3, 2], q) with its default (linear): 0.2 → 1.6, 0.5 → 2.5, 0.8 → 3.4.
        double[] values = [4, 1, 3, 2];
        Assert.Equal(1.6, CurveStatistics.Quantile(values, 0.2), 12);
        Assert.Equal(2.5, CurveStatistics.Quantile(values, 0.5), 12);
        Assert.Equal(3.4, CurveStatistics.Quantile(values, 0.8), 12);
        Assert.Equal(1, CurveStatistics.Quantile(values, 0), 12);
        Assert.Equal(4, CurveStatistics.Quantile(values, 1), 12);
        Assert.Equal(double.PositiveInfinity, CurveStatistics.Quantile([1, double.PositiveInfinity, double.PositiveInfinity], 0.5));
        Assert.Equal(1, CurveStatistics.Quantile([1, 1, double.PositiveInfinity], 0.5));
    }

    [Fact]
    public void ValueAtIsTheLastMeasurementAtOrBeforeX()
    {
        var run = Curve(1, diverged: false, (0, 0, 0.7), (1, 20, 0.5), (2, 40, 0.4));
        Func<CurvePoint, double> loss = p => p.ValidationLoss;
        Assert.Equal(0.7, CurveStatistics.ValueAt(run, CurveAxis.Seconds, loss, 0.99));
        Assert.Equal(0.5, CurveStatistics.ValueAt(run, CurveAxis.Seconds, loss, 1.0));
        Assert.Equal(0.4, CurveStatistics.ValueAt(run, CurveAxis.Evaluations, loss, 40));
        Assert.True(double.IsNaN(CurveStatistics.ValueAt(run, CurveAxis.Seconds, loss, 2.5)));   // past a normal end: no value

        var divergedRun = Curve(2, diverged: true, (0, 0, 0.7), (1, 20, 0.6));
        Assert.Equal(double.PositiveInfinity, CurveStatistics.ValueAt(divergedRun, CurveAxis.Seconds, loss, 1.5));
    }

    [Fact]
    public void TimeAndEvaluationsToTargetAreTheFirstMeasurementAtOrBelowIt()
    {
        var run = Curve(1, diverged: false, (0, 0, 0.7), (0.5, 22, 0.45), (1.0, 44, 0.38), (1.5, 66, 0.39), (2.0, 88, 0.36));
        Assert.Equal(1.0, CurveStatistics.FirstReach(run, CurveAxis.Seconds, 0.38));
        Assert.Equal(44, CurveStatistics.FirstReach(run, CurveAxis.Evaluations, 0.38));
        Assert.Equal(2.0, CurveStatistics.FirstReach(run, CurveAxis.Seconds, 0.37));
        Assert.Null(CurveStatistics.FirstReach(run, CurveAxis.Seconds, 0.35));
    }

    [Fact]
    public void MedianReachIsNotReachedUnlessMoreThanHalfOfTheSeedsReachIt()
    {
        var fast = Curve(1, false, (0, 0, 0.7), (1, 10, 0.3));
        var slow = Curve(2, false, (0, 0, 0.7), (3, 30, 0.3));
        var never = Curve(3, false, (0, 0, 0.7), (4, 40, 0.5));
        var diverged = Curve(4, true, (0, 0, 0.7), (0.5, 5, 0.2));   // reached before diverging: counts as reached

        var (median, reached) = CurveStatistics.MedianReach([fast, slow, never], CurveAxis.Seconds, 0.3);
        Assert.Equal(3, median);      // median of {1, 3, ∞}
        Assert.Equal(2, reached);

        (median, reached) = CurveStatistics.MedianReach([fast, never, never], CurveAxis.Seconds, 0.3);
        Assert.Equal(double.PositiveInfinity, median);
        Assert.Equal(1, reached);

        (median, reached) = CurveStatistics.MedianReach([diverged, fast], CurveAxis.Evaluations, 0.3);
        Assert.Equal(7.5, median);    // median of {5, 10}
        Assert.Equal(2, reached);
    }

    [Fact]
    public void BandIsTheSeedsMedianAndQuantilesAndStopsWhereHalfTheSeedsHaveEnded()
    {
        var a = Curve(1, false, (0, 0, 1.0), (1, 1, 0.5), (2, 2, 0.25));
        var b = Curve(2, false, (0, 0, 1.0), (1, 1, 0.7), (3, 3, 0.35));
        var c = Curve(3, true, (0, 0, 1.0), (1, 1, 0.9));
        var band = CurveStatistics.Band([a, b, c], CurveAxis.Seconds, p => p.ValidationLoss, [0, 1, 2, 2.5, 3, 4]);

        // Past 2 a has ended (no value); the diverged c counts as +∞; at 4 only c is left (1 of 3): the band stops.
        Assert.Equal([0, 1, 2, 2.5, 3], band.Select(p => p.X));
        Assert.Equal(0.7, band[1].Median, 12);                  // {0.5, 0.7, 0.9}
        Assert.Equal(0.5 + 0.4 * 0.2, band[1].Low, 12);         // 0.2-quantile of {0.5, 0.7, 0.9}: 0.58
        Assert.Equal(0.7 + 0.6 * 0.2, band[1].High, 12);        // 0.8-quantile: 0.82
        Assert.Equal(0.7, band[2].Median, 12);                  // {0.25, 0.7, +∞}: c diverged
        Assert.Equal(double.PositiveInfinity, band[3].Median);   // a has ended: {0.7, +∞}
    }

    [Fact]
    public void TargetIsBestPlusAFractionOfTheDecrease()
    {
        var good = new[] { Curve(1, false, (0, 0, 0.7), (1, 1, 0.3)), Curve(2, false, (0, 0, 0.7), (1, 1, 0.32)) };
        var bad = new[] { Curve(1, false, (0, 0, 0.7), (1, 1, 0.5)), Curve(2, true, (0, 0, 0.7), (1, 1, 0.1)) };
        var target = ComparisonTarget.Of([good, bad]);
        Assert.Equal(0.7, target.Start, 12);
        Assert.Equal(0.31, target.Best, 12);   // the diverged run's 0.1 does not count as a final value
        Assert.Equal(0.31 + ComparisonTarget.Fraction * 0.39, target.Value, 12);
    }
}
