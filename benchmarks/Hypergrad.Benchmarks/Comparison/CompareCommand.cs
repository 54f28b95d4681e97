using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Hypergrad.Samples;

namespace Hypergrad.Benchmarks.Comparison;

/// <summary>
/// <c>compare [--seeds N] [--quick] [--tune] [--replot] [--budget S] [--task NAME] [--method A,B] [--grid-inner η,…] [--grid-outer β,…]
/// [--output DIR] [--plots DIR] [--steps FILE] [--data DIR]</c>:
/// every registered method of every task (or of <c>--task</c>) runs on seeds 1…N for a CPU-time budget each, at the
/// step sizes of the tuned-steps file; a method missing from the file (or every method, with <c>--tune</c>) is tuned
/// on the grid first and the file rewritten. Writes per task a PNG (median and 20–80 % band), a Markdown table and
/// the curves as CSV; <c>--replot</c> redraws the plot and table from that CSV without running anything.
/// </summary>
public static class CompareCommand
{
    /// <summary>CPU time of the unmeasured run of each method before the measured ones.</summary>
    const double WarmUpSeconds = 0.3;

    /// <summary>The tasks, in the order they run.</summary>
    public static IReadOnlyList<ComparisonTask> Tasks() => [PixelDecayTask.Large(), PixelDecayTask.Small(), new SampleWeightingTask()];

    /// <summary>Parses the arguments after "compare" and runs; returns the process exit code.</summary>
    public static int Run(string[] args, TextWriter log)
    {
        var options = new SampleArguments(args);
        bool quick = options.Flag("quick");
        bool tune = options.Flag("tune");
        bool replot = options.Flag("replot");
        int seeds = options.Get("seeds", quick ? 1 : 3);
        double? budget = options.Has("budget") ? options.Get("budget", 0.0) : quick ? 0.5 : null;
        var taskName = options.GetOptional("task");
        var methodNames = options.GetOptional("method")?.Split(',', StringSplitOptions.TrimEntries);
        var gridInner = Numbers(options.GetOptional("grid-inner"), "grid-inner");
        var gridOuter = Numbers(options.GetOptional("grid-outer"), "grid-outer");
        var output = options.Get("output", "results");
        var plots = options.Get("plots", output);
        var stepsPath = options.Get("steps", DefaultStepsPath());
        FashionMnistCache.Directory = options.GetOptional("data");
        options.EnsureAllUsed();
        if (seeds < 1) throw new ArgumentException($"Option --seeds must be at least 1, not {seeds}.");
        if (budget is { } b && !(b > 0)) throw new ArgumentException($"Option --budget must be a positive number of seconds, not {budget}.");

        var tasks = Tasks().Where(t => taskName is null || t.Name == taskName).ToArray();
        if (tasks.Length == 0) throw new ArgumentException($"Option --task must be one of {string.Join(", ", Tasks().Select(t => t.Name))}, not '{taskName}'.");

        var tuned = TunedStepsFile.Read(stepsPath);
        log.WriteLine($"Comparison: {seeds} seed(s), {(budget is { } s ? $"{s:G3} s" : "the task's budget")} of {CpuClock.Measures} per run (one thread), step sizes from '{stepsPath}'" +
                      (quick ? " (quick: the file is not rewritten)." : "."));
        foreach (var task in tasks)
        {
            var methods = task.Methods.Where(m => methodNames is null || methodNames.Contains(m)).ToArray();
            if (methodNames?.FirstOrDefault(m => !task.Methods.Contains(m)) is { } unknown)
                throw new ArgumentException($"Option --method: task '{task.Name}' has no method '{unknown}'; its methods: {string.Join(", ", task.Methods)}.");
            var grid = new StepGrid(gridInner ?? task.Grid.Inner, gridOuter ?? task.Grid.Outer);
            var recorder = new RunRecorder(budget ?? task.DefaultBudgetSeconds);
            log.WriteLine();
            log.WriteLine($"== {task.Name}: {task.Description} {recorder.BudgetSeconds:G3} s of {CpuClock.Measures} per run.");
            log.WriteLine($"Step-size grid (every method, tuning seed {StepTuner.TuningSeed}, final value function F(w*(λ))): {grid}.");
            foreach (var method in methods) log.WriteLine($"  {method}: {task.SettingsOf(method)}");
            if (replot)
            {
                var saved = CurvesFile.Read(Path.Combine(output, $"comparison-{task.Name}-curves.csv"));
                Report(task, tuned.Where(t => t.Task == task.Name).ToArray(),
                    methods.ToDictionary(m => m, m => saved.Where(r => r.Method == m).ToList()), output, plots, log);
                continue;
            }

            foreach (var method in methods.Where(m => tune || !tuned.Any(t => t.Task == task.Name && t.Method == m)))
            {
                log.WriteLine($"  tuning {method}:");
                var entry = StepTuner.Tune(task, grid, method, new RunRecorder(recorder.BudgetSeconds, pointsPerRun: 1), log);
                tuned.RemoveAll(t => t.Task == task.Name && t.Method == method);
                tuned.Add(entry);
                log.WriteLine(entry.Steps is { } chosen ? $"  → {method}: {chosen}" : $"  → {method}: diverged at every grid point");
                if (!quick) TunedStepsFile.Write(stepsPath, tuned);
            }

            // Warm-up: the first run of each problem class pays for JIT compilation, which the measured runs must not.
            var warmUp = new RunRecorder(WarmUpSeconds, pointsPerRun: 1);
            foreach (var method in methods)
                if (tuned.FirstOrDefault(t => t.Task == task.Name && t.Method == method)?.Steps is { } steps)
                    task.Run(method, StepTuner.TuningSeed, steps, warmUp);

            var runs = methods.ToDictionary(m => m, _ => new List<RunCurve>());
            for (int seed = 1; seed <= seeds; seed++)
                foreach (var method in methods)
                {
                    if (tuned.FirstOrDefault(t => t.Task == task.Name && t.Method == method)?.Steps is not { } steps) continue;
                    var run = task.Run(method, seed, steps, recorder);
                    runs[method].Add(run);
                    log.WriteLine($"  seed {seed}, {method} ({steps}): {Summary(run)}");
                }
            Report(task, tuned.Where(t => t.Task == task.Name).ToArray(), runs, output, plots, log);
        }
        return 0;
    }

    static void Report(ComparisonTask task, IReadOnlyList<TunedSteps> tuned, Dictionary<string, List<RunCurve>> runs, string output, string plots, TextWriter log)
    {
        var byMethod = task.Methods.Where(runs.ContainsKey).Select(m => (m, (IReadOnlyList<RunCurve>)runs[m])).ToArray();
        if (byMethod.All(g => g.Item2.Count == 0))
        {
            log.WriteLine($"No method of {task.Name} could run (all diverged while tuning).");
            return;
        }
        // Every curve measures the value function F(w*(λ)) (InnerSolution), the same quantity for every method.
        var target = ComparisonTarget.Of(byMethod.Select(g => g.Item2));
        log.WriteLine();
        log.WriteLine($"{task.Title}: target value function F(w*(λ)) {target.Value:F4} = best median final {target.Best:F4} + {ComparisonTarget.Fraction} × (start {target.Start:F4} − best).");
        var table = ComparisonTable.Build(task, tuned, runs.ToDictionary(p => p.Key, p => (IReadOnlyList<RunCurve>)p.Value), target);
        var md = table.PrintAndSave(Path.Combine(output, $"comparison-{task.Name}.md"));
        foreach (var (method, curves) in byMethod)
        {
            foreach (var run in curves.Where(r => r.Diverged))
                log.WriteLine($"  {method}, seed {run.Seed}: diverged after {run.Final.Seconds:F2} s: {StepTuner.FirstLine(run.Divergence!)}");
            int outer = curves.Sum(r => r.OuterSteps), notConverged = curves.Sum(r => r.NotConverged);
            if (notConverged > 0)
                log.WriteLine($"  {method}: {notConverged} of {outer} outer steps' hypergradients missed their tolerance (approximations there).");
            double innerGradient = curves.Select(r => r.InnerGradient).Where(double.IsFinite).DefaultIfEmpty(double.NaN).Max();
            log.WriteLine(innerGradient <= InnerSolution.GradientTolerance
                ? $"  {method}: every re-solve of w*(λ) met its tolerance (largest gradient entry {innerGradient:E1} ≤ {InnerSolution.GradientTolerance:E0})."
                : $"  {method}: WARNING: a re-solve of w*(λ) stopped with a gradient entry {innerGradient:E1} > {InnerSolution.GradientTolerance:E0}; its F(w*(λ)) is approximate.");
            foreach (var (kind, count) in curves.SelectMany(r => r.Warnings).GroupBy(w => w.Key).Select(g => (g.Key, g.Sum(w => w.Value))))
                log.WriteLine($"  {method}: warning at {count} outer steps: {StepTuner.FirstLine(kind)}");
        }
        var png = ComparisonPlot.Save(Path.Combine(plots, $"comparison-{task.Name}.png"), task.Title,
            byMethod.Select(g => (g.Item1, task.FamilyOf(g.Item1), g.Item2)).ToArray(), target);
        var csv = CurvesFile.Write(Path.Combine(output, $"comparison-{task.Name}-curves.csv"), byMethod.SelectMany(g => g.Item2));
        log.WriteLine($"Wrote {png}, {md} and {csv}.");
    }

    static double[]? Numbers(string? list, string option) => list?.Split(',').Select(text =>
        double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var v) && v > 0
            ? v : throw new ArgumentException($"Option --{option} takes positive numbers separated by commas, not '{list}'.")).ToArray();

    static string Summary(RunCurve run) =>
        (run.Diverged ? $"DIVERGED after {run.Final.Seconds:F2} s; " : "") +
        $"{run.OuterSteps} outer steps, {run.Final.Evaluations:F0} evaluations, F(w*(λ)) {run.Points[0].ValidationLoss:F4} → {run.Final.ValidationLoss:F4} (at its w {run.Final.IterateValidationLoss:F4}), " +
        $"test accuracy of w*(λ) {100 * run.Final.TestAccuracy:F1} % (of its w {100 * run.Final.IterateTestAccuracy:F1} %)";

    /// <summary>The committed tuned-steps file: next to this code in the repository (found from the build output), else in the working folder.</summary>
    static string DefaultStepsPath()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
            if (File.Exists(Path.Combine(folder.FullName, "Hypergrad.sln")))
                return Path.Combine(folder.FullName, "benchmarks", "Hypergrad.Benchmarks", "Comparison", "tuned-steps.csv");
        return "tuned-steps.csv";
    }
}
