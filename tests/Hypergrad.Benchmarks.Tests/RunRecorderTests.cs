using Hypergrad.Benchmarks.Comparison;
using Hypergrad.Solving;
using Xunit;

namespace Hypergrad.Benchmarks.Tests;

/// <summary>The recorder on a fake run and a fake clock: what it times, counts and stops, without any real timing.</summary>
public class RunRecorderTests
{
    double now;   // the fake clock's reading, in seconds

    RunRecorder Recorder(double budget) => new(budget, () => new CpuClock(() => now));

    static BilevelProgress Step(int outerStep, int products, bool converged = true) =>
        new(outerStep * 10, int.MaxValue, outerStep, 1.0, 1.0, products, double.NaN, products, converged, TimeSpan.Zero) { Warnings = converged ? [] : ["residual 0.5 > 1e-6"] };

    [Fact]
    public void TimesOnlyTheRunCountsItsEvaluationsAndStopsAtTheBudget()
    {
        var counter = new EvaluationCounter(100, 50);
        double loss = 1.0;
        int evaluations = 0;
        var curve = Recorder(budget: 0.95).Record("m", 7, counter, (progress, token) =>
        {
            for (int outer = 1; ; outer++)
            {
                token.ThrowIfCancellationRequested();
                now += 0.1;                                          // one outer step: 0.1 s of the method
                for (int i = 0; i < 10; i++) counter.Inner(100, differentiated: true);
                counter.Outer(50, differentiated: true);
                loss *= 0.9;
                progress.Report(Step(outer, products: 5, converged: outer % 2 == 0));
            }
        }, () =>
        {
            now += 5;                                                // evaluating is slow, and must not be timed
            evaluations++;
            return new Measurement(loss, 0.5);
        });

        Assert.False(curve.Diverged);
        Assert.Equal(10, curve.OuterSteps);                          // cancelled at the first step boundary after 0.95 s
        Assert.Equal(5, curve.NotConverged);
        Assert.Equal(5, curve.Warnings["residual # > #"]);
        Assert.Equal(11, evaluations);                               // the start and every step (spacing 0.95 s / 20 < 0.1 s)
        Assert.Equal(0, curve.Points[0].Seconds);
        Assert.Equal(0, curve.Points[0].Evaluations);
        for (int k = 1; k <= 10; k++)
        {
            Assert.Equal(0.1 * k, curve.Points[k].Seconds, 9);
            Assert.Equal(16 * k, curve.Points[k].Evaluations, 9);    // 10 inner + 1 outer + 5 products per step
            Assert.Equal(Math.Pow(0.9, k), curve.Points[k].ValidationLoss, 12);
        }
    }

    [Fact]
    public void MeasuresAboutSixtyPointsWhenStepsAreFrequent()
    {
        var counter = new EvaluationCounter(1, 1);
        int evaluations = 0;
        var curve = Recorder(budget: 1.0).Record("m", 1, counter, (progress, token) =>
        {
            for (int outer = 1; ; outer++)
            {
                token.ThrowIfCancellationRequested();
                now += 0.001;
                progress.Report(Step(outer, products: 0));
            }
        }, () => { evaluations++; return new Measurement(1.0, 0.5); });

        Assert.InRange(curve.OuterSteps, 1000, 1001);   // 1000 steps of 1 ms, give or take rounding
        Assert.InRange(evaluations, RunRecorder.Points, RunRecorder.Points + 2);
        Assert.InRange(curve.Final.Seconds, 1.0 - 1e-9, 1.001 + 1e-9);
    }

    [Fact]
    public void AHypergradExceptionEndsTheCurveAsDiverged()
    {
        var counter = new EvaluationCounter(1, 1);
        var curve = Recorder(budget: 10).Record("m", 1, counter, (progress, token) =>
        {
            now += 0.5;
            progress.Report(Step(1, products: 0));
            now += 0.25;
            throw new HypergradException("outer step 2 diverged: the outer objective went from 1 to 1e9.");
        }, () => new Measurement(0.4, 0.5));

        Assert.True(curve.Diverged);
        Assert.Contains("diverged", curve.Divergence);
        Assert.Equal(0.75, curve.Final.Seconds, 9);   // the time up to the failure is on the curve
    }

    [Fact]
    public void ANonFiniteFinalLossIsReportedAsDivergence()
    {
        var curve = Recorder(budget: 0.1).Record("m", 1, new EvaluationCounter(1, 1), (progress, token) =>
        {
            now += 0.2;
            progress.Report(Step(1, products: 0));
            token.ThrowIfCancellationRequested();
            return null!;
        }, () => new Measurement(now > 0 ? double.NaN : 1.0, 0.1));

        Assert.True(curve.Diverged);
    }

    [Fact]
    public void WarningsAreGroupedWithTheirNumbersReplacedButNamesAndHyphenatedWordsKept()
    {
        var curve = Recorder(budget: 0.1).Record("m", 1, new EvaluationCounter(1, 1), (progress, token) =>
        {
            foreach (var (rank, residual) in new[] { (10, -0.5), (20, 2e-3) })
            {
                now += 0.2;
                progress.Report(Step(1, products: 0) with { Warnings = [$"F2sa: the rank-{rank} sketch left residual {residual} > 1e-6 at w_{rank}"] });
            }
            return null!;
        }, () => new Measurement(1.0, 0.5));

        Assert.Equal(2, curve.Warnings["F2sa: the rank-# sketch left residual # > # at w_#"]);
    }
}
