using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Hypergrad.Samples;

namespace Hypergrad.Benchmarks.Comparison;

/// <summary>
/// The README table of a task: per method its tuned steps, the median CPU time and evaluations to reach the
/// target value function (with how many seeds reached it; "not reached" unless more than half did), the median value
/// function Φ(λ) = F(w*(λ)) and test accuracy of w*(λ) at the end of the budget, the same at the method's own w, and the
/// diverged runs counted.
/// </summary>
public static class ComparisonTable
{
    /// <summary>Builds the table; <paramref name="runs"/> holds each method's runs (empty for a method not run).</summary>
    public static ResultsTable Build(ComparisonTask task, IReadOnlyList<TunedSteps> tuned, IReadOnlyDictionary<string, IReadOnlyList<RunCurve>> runs, ComparisonTarget target)
    {
        var table = new ResultsTable("method", "family", "steps (tuned)", $"{CpuClock.Measures} to target", "evaluations to target",
            "F(w*(λ)) at budget", "test acc. of w*(λ)", "F at the method's w", "test acc. of its w", "diverged runs");
        foreach (var method in task.Methods.Where(runs.ContainsKey))
        {
            var steps = tuned.FirstOrDefault(t => t.Method == method);
            var family = task.FamilyOf(method).ToString();
            if (steps?.Steps is null || !runs.TryGetValue(method, out var curves) || curves.Count == 0)
            {
                string why = steps is null ? "not tuned" : $"diverged at all {steps.GridPoints} grid points";
                table.Add(method, family, why, "—", "—", "—", "—", "—", "—", "—");
                continue;
            }
            var (seconds, reached) = CurveStatistics.MedianReach(curves, CurveAxis.Seconds, target.Value);
            var (evaluations, _) = CurveStatistics.MedianReach(curves, CurveAxis.Evaluations, target.Value);
            string reach = $"{reached}/{curves.Count} seeds";
            var finals = curves.Select(r => r.Diverged ? double.PositiveInfinity : r.Final.ValidationLoss).ToArray();
            var iterateFinals = curves.Select(r => r.Diverged ? double.PositiveInfinity : r.Final.IterateValidationLoss).ToArray();
            string stepsText = steps.Steps + (steps.DivergedPoints > 0 ? $" ({steps.DivergedPoints}/{steps.GridPoints} grid points diverged)" : "");
            table.Add(method, family, stepsText,
                double.IsFinite(seconds) ? $"{seconds:F2} s ({reach})" : $"not reached ({reach})",
                double.IsFinite(evaluations) ? $"{evaluations:F0}" : "not reached",
                Loss(finals),
                Accuracy(curves.Select(r => r.Final.TestAccuracy)),
                Loss(iterateFinals),
                Accuracy(curves.Select(r => r.Final.IterateTestAccuracy)),
                $"{curves.Count(r => r.Diverged)}/{curves.Count}");
        }
        return table;
    }

    static string Accuracy(IEnumerable<double> accuracies) => $"{100 * CurveStatistics.Quantile(accuracies.ToArray(), 0.5):F1} %";

    static string Loss(double[] finals)
    {
        string F(double v) => double.IsFinite(v) ? v.ToString("F4", CultureInfo.InvariantCulture) : "diverged";
        return $"{F(CurveStatistics.Quantile(finals, 0.5))} [{F(CurveStatistics.Quantile(finals, 0.2))}, {F(CurveStatistics.Quantile(finals, 0.8))}]";
    }
}
