using System;
using System.Collections.Generic;
using System.Text.RegularExpressions;
using System.Threading;
using Hypergrad.Samples;
using Hypergrad.Solving;

namespace Hypergrad.Benchmarks.Comparison;

/// <summary>
/// Runs one method on one seed for a CPU-time budget and records its curve. The method's clock runs only inside
/// <c>Run</c>: it is paused in every progress report while the harness counts products and, about every
/// <paramref name="pointsPerRun"/>-th of the budget, evaluates the validation loss and test accuracy (those evaluations, the
/// inner re-solve included, are neither timed nor counted). When the budget is spent the run is cancelled at its next step. A
/// <see cref="HypergradException"/> from the run (its divergence check, a NaN) ends the curve and marks it diverged.
/// </summary>
/// <param name="budgetSeconds">CPU time per run.</param>
/// <param name="clockFactory">The clock (tests give a fake one).</param>
/// <param name="pointsPerRun">Curve points per run besides the start (<see cref="Points"/>; 1: the start and the end only, as
/// the step-size tuning needs).</param>
public sealed partial class RunRecorder(double budgetSeconds, Func<CpuClock>? clockFactory = null, int pointsPerRun = RunRecorder.Points)
{
    /// <summary>Curve points per run by default, besides the starting point (fewer when steps are rare: at most one per outer
    /// step). Each re-solves the inner problem (about 0.5 s at 9000 images), which bounds how many a run can afford.</summary>
    public const int Points = 20;

    /// <summary>The budget of CPU time per run.</summary>
    public double BudgetSeconds { get; } = budgetSeconds;

    /// <summary>
    /// Records one run. <paramref name="run"/> starts the method's <c>Run</c> with the progress and token given;
    /// <paramref name="evaluate"/> measures the current variables.
    /// </summary>
    public RunCurve Record(string method, int seed, EvaluationCounter counter,
        Func<IProgress<BilevelProgress>, CancellationToken, BilevelRunResult> run, Func<Measurement> evaluate)
    {
        var clock = clockFactory?.Invoke() ?? new CpuClock();
        var points = new List<CurvePoint>();
        var warnings = new Dictionary<string, int>();
        int outerSteps = 0, notConverged = 0;
        double lastPoint = 0, spacing = BudgetSeconds / pointsPerRun;

        void Measure()
        {
            var m = evaluate();
            points.Add(new CurvePoint(clock.Seconds, counter.Total, m.ValidationLoss, m.TestAccuracy, m.IterateValidationLoss, m.IterateTestAccuracy));
            lastPoint = clock.Seconds;
        }

        Measure();
        using var budget = new CancellationTokenSource();
        var progress = new SynchronousProgress<BilevelProgress>(p =>
        {
            clock.Pause();
            outerSteps++;
            if (!p.Converged) notConverged++;
            counter.Products(p.HessianVectorProducts);
            foreach (var warning in p.Warnings)
            {
                var kind = Numbers().Replace(warning, "#");
                warnings[kind] = warnings.GetValueOrDefault(kind) + 1;
            }
            bool spent = clock.Seconds >= BudgetSeconds;
            if (spent || clock.Seconds - lastPoint >= spacing) Measure();
            if (spent) budget.Cancel();
            clock.Resume();
        });

        string? divergence = null;
        clock.Resume();
        try
        {
            run(progress, budget.Token);
        }
        catch (OperationCanceledException) when (budget.IsCancellationRequested)
        {
        }
        catch (HypergradException e)
        {
            divergence = e.Message;
        }
        clock.Pause();
        // The state the run ended in (after a divergence, the last good one the runtime restored), unless just measured.
        if (divergence is not null || clock.Seconds - points[^1].Seconds > spacing / 10) Measure();
        if (divergence is null && !double.IsFinite(points[^1].ValidationLoss))
            divergence = $"The validation loss is {points[^1].ValidationLoss} at the end of the budget.";
        return new RunCurve(method, seed, points, divergence, outerSteps, notConverged, warnings);
    }

    // A number that is part of a name stays ("F2sa"), and a sign belongs to the number only where it does not join two
    // words ("rank-10" keeps its hyphen: "rank-#").
    [GeneratedRegex(@"(?<![A-Za-z\d.])((?<![\w)])[-+])?\d+(\.\d+)?([eE][-+]?\d+)?")]
    private static partial Regex Numbers();
}
