using System.IO;
using System.Linq;

namespace Hypergrad.Benchmarks.Comparison;

/// <summary>
/// The grid search, identical for every method: each point of the task's <see cref="StepGrid"/> runs once on the
/// tuning seed (data never used by the measured seeds' curves) for the same budget, and the point with the lowest
/// final value function F(w*(λ)) (<see cref="CurvePoint.ValidationLoss"/>) among those that did not diverge is chosen. The test set is never looked at.
/// </summary>
public static class StepTuner
{
    /// <summary>The seed of the tuning runs; the measured seeds are 1, 2, ….</summary>
    public const int TuningSeed = 0;

    /// <summary>Tunes <paramref name="method"/> on <paramref name="task"/> over <paramref name="grid"/> (the task's own unless overridden), printing every point's outcome.</summary>
    public static TunedSteps Tune(ComparisonTask task, StepGrid grid, string method, RunRecorder recorder, TextWriter log)
    {
        var points = grid.Points.ToArray();
        var outcomes = points.Select(steps =>
        {
            var run = task.Run(method, TuningSeed, steps, recorder);
            log.WriteLine(run.Diverged
                ? $"    {method}, {steps}: diverged after {run.Final.Seconds:F2} s ({FirstLine(run.Divergence!)})"
                : $"    {method}, {steps}: final F(w*(λ)) {run.Final.ValidationLoss:F4} ({run.OuterSteps} outer steps)");
            return (Steps: steps, Run: run);
        }).ToArray();
        int diverged = outcomes.Count(o => o.Run.Diverged);
        var stable = outcomes.Where(o => !o.Run.Diverged).ToArray();
        if (stable.Length == 0) return new TunedSteps(task.Name, method, null, double.NaN, diverged, points.Length);
        var best = stable.MinBy(o => o.Run.Final.ValidationLoss);
        return new TunedSteps(task.Name, method, best.Steps, best.Run.Final.ValidationLoss, diverged, points.Length);
    }

    /// <summary>The first sentence-ish line of a long message, for one-line logs.</summary>
    public static string FirstLine(string message)
    {
        var line = message.Split('\n')[0];
        return line.Length <= 160 ? line : line[..157] + "...";
    }
}
