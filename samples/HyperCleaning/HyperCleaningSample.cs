using System.Diagnostics;
using Hypergrad.Data;
using Hypergrad.Optimizers;
using Hypergrad.Samples;
using Hypergrad.Solving;
using TorchSharp;
using static TorchSharp.torch;

namespace HyperCleaning;

/// <summary>The sample's knobs; the defaults are the README run.</summary>
public sealed record HyperCleaningSettings : SampleSettings
{
    /// <summary>The README run: 40 outer steps of 20 inner steps, seed 0.</summary>
    public HyperCleaningSettings() { OuterSteps = 40; UnrollSteps = 20; }

    /// <summary>
    /// The protocol of Franceschi et al. 2017 (there on MNIST): 5000 training images with 50 % of labels
    /// corrupted, 5000 clean validation images, 10,000 test images, a linear model.
    /// </summary>
    public static HyperCleaningSettings Literature => new() { TrainCount = 5000, ValidationCount = 5000, TestCount = 10000, CorruptedFraction = 0.5, Methods = LiteratureMethods, ResultsName = "hyper-cleaning-literature" };

    /// <summary>
    /// The methods of the literature run, each with the settings that gave the lowest validation loss on seed 0 in the
    /// README's grid: CG from zero (10 iterations), CG warm-started (20), Nyström-preconditioned CG warm-started with a
    /// rank-100 sketch reused for 20 outer steps (20), plain Nyström (rank 100, ρ = 0.1) and reverse mode.
    /// </summary>
    public static IReadOnlyList<CleaningMethod> LiteratureMethods =>
    [
        CleaningMethod.ConjugateGradient with { Iterations = 10 },
        CleaningMethod.ConjugateGradient with { WarmStart = true },
        new(Hypergrad.Method.NystromConjugateGradient) { WarmStart = true, Rank = 100, SketchRefresh = 20 },
        new(Hypergrad.Method.Nystrom) { Rank = 100, Rho = 0.1 },
        new(Hypergrad.Method.ReverseUnroll),
    ];

    /// <summary>Training images (their labels partly corrupted).</summary>
    public int TrainCount { get; init; } = 5000;
    /// <summary>Clean validation images.</summary>
    public int ValidationCount { get; init; } = 1000;
    /// <summary>Test images (of Fashion-MNIST's 10,000).</summary>
    public int TestCount { get; init; } = 10000;
    /// <summary>Fraction of training labels replaced by a wrong class.</summary>
    public double CorruptedFraction { get; init; } = 0.5;
    /// <summary>Inner step size of the bilevel run.</summary>
    public double InnerLearningRate { get; init; } = 0.5;
    /// <summary>Ridge ρ on the classifier's weights in the inner objective.</summary>
    public double Ridge { get; init; } = 1e-3;
    /// <summary>Adam step size on the sample-weight logits.</summary>
    public double OuterLearningRate { get; init; } = 0.1;
    /// <summary>Folder with Fashion-MNIST's IDX files; Debian's location when null.</summary>
    public string? DataDirectory { get; init; }
    /// <summary>Seeds run by <see cref="HyperCleaningSample.RunSeeds"/>: <see cref="SampleSettings.Seed"/>, Seed + 1, ….</summary>
    public int Seeds { get; init; } = 3;
    /// <summary>The baselines' grid: step sizes.</summary>
    public IReadOnlyList<double> TuningLearningRates { get; init; } = [0.25, 1.0];
    /// <summary>The baselines' grid: ridges.</summary>
    public IReadOnlyList<double> TuningRidges { get; init; } = [1e-4, 1e-3, 1e-2];
    /// <summary>The baselines' grid: step counts (early stopping at the best checkpoint).</summary>
    public IReadOnlyList<int> TuningSteps { get; init; } = [10, 20, 40, 80, 160, 320, 640];
    /// <summary>The hypergradient methods run on the same data, one table row each.</summary>
    public IReadOnlyList<CleaningMethod> Methods { get; init; } = [CleaningMethod.ConjugateGradient];
    /// <summary>Also tune and train the baselines and the oracle (off: only the methods, e.g. to compare their settings).</summary>
    public bool Baselines { get; init; } = true;
    /// <summary>File name (without extension) of the plot and the table in <see cref="SampleSettings.OutputDirectory"/>.</summary>
    public string ResultsName { get; init; } = "hyper-cleaning";
    /// <summary>Measure the test accuracy after every outer step (the plot's curve); off leaves only the final one (timing runs).</summary>
    public bool TrackTestAccuracy { get; init; } = true;
}

/// <summary>Test accuracy of a classifier trained on some choice of training data.</summary>
/// <param name="Choice">The setting its grid search chose, or the fixed setting of the bilevel run.</param>
public sealed record CleaningOutcome(string TrainedOn, double TestAccuracy, TimeSpan Elapsed, string Choice);

/// <summary>What one bilevel run (one method, one seed) measured.</summary>
/// <param name="Name">The method and its options.</param>
/// <param name="ValidationAccuracy">Accuracy on the clean validation set after the run (the set the weights were tuned on).</param>
/// <param name="ValidationLoss">The outer objective (validation cross-entropy) after the run.</param>
/// <param name="TestAccuracyCurve">Test accuracy after each outer step (empty unless <see cref="HyperCleaningSettings.TrackTestAccuracy"/>).</param>
/// <param name="Precision">Of the samples whose learned weight is below ½, the fraction that were corrupted.</param>
/// <param name="Recall">Of the corrupted samples, the fraction whose learned weight is below ½.</param>
/// <param name="OuterSteps">Outer steps taken.</param>
/// <param name="HessianVectorProducts">Products of all outer steps' hypergradients (the run's summed certificates, sketches included).</param>
/// <param name="SolveIterations">Iterations of all outer steps' hypergradients, summed (solver iterations; differentiated steps for reverse mode).</param>
/// <param name="OuterStepsNotConverged">Outer steps whose hypergradient missed its tolerance.</param>
/// <param name="WorstRelativeResidual">The largest final relative residual of the linear solves (NaN for reverse mode).</param>
/// <param name="Warnings">Other warnings the run reported.</param>
public sealed record CleaningRun(string Name, double TestAccuracy, double ValidationAccuracy, double ValidationLoss, TimeSpan Elapsed,
    IReadOnlyList<double> TestAccuracyCurve, double Precision, double Recall, int OuterSteps, long HessianVectorProducts,
    long SolveIterations, int OuterStepsNotConverged, double WorstRelativeResidual, IReadOnlyList<string> Warnings)
{
    /// <summary>F1 of the flagged (weight below ½) samples as detections of the corrupted ones.</summary>
    public double F1 => Precision + Recall == 0 ? 0 : 2 * Precision * Recall / (Precision + Recall);
}

/// <summary>What one seed measured.</summary>
/// <param name="Runs">One bilevel run per method of <see cref="HyperCleaningSettings.Methods"/>, in order.</param>
/// <param name="Baselines">The tuned baselines, then the clean-only oracle (empty when they were not run).</param>
public sealed record CleaningReport(IReadOnlyList<CleaningRun> Runs, IReadOnlyList<CleaningOutcome> Baselines)
{
    /// <summary>The learned sample weights' row name when a single method runs (the README's default table).</summary>
    public const string LearnedWeights = "noisy training set, learned sample weights";

    /// <summary>Every row of the results table: the methods, then the baselines.</summary>
    public IReadOnlyList<CleaningOutcome> Rows =>
        Runs.Select(r => new CleaningOutcome(Runs.Count == 1 ? LearnedWeights : $"learned weights, {r.Name}", r.TestAccuracy, r.Elapsed, r.Name))
            .Concat(Baselines).ToList();
}

/// <summary>Runs hyper-cleaning and its tuned baselines, then writes the plot and the table.</summary>
public static class HyperCleaningSample
{
    /// <summary>The oracle row's name: trained on the uncorrupted training samples only.</summary>
    public const string Oracle = "oracle: clean training samples only";

    /// <summary>Runs <see cref="HyperCleaningSettings.Seeds"/> seeds and prints (and saves) mean ± std per row.</summary>
    public static IReadOnlyList<CleaningReport> RunSeeds(HyperCleaningSettings settings, TextWriter? log = null)
    {
        log ??= Console.Out;
        if (settings.Baselines)
            log.WriteLine($"Baselines' grid (chosen on clean held-out images): η ∈ {{{string.Join(", ", settings.TuningLearningRates)}}}, " +
                          $"ρ ∈ {{{string.Join(", ", settings.TuningRidges.Select(r => r.ToString("0e0")))}}}, steps ∈ {{{string.Join(", ", settings.TuningSteps)}}}.");
        var reports = new List<CleaningReport>();
        for (int i = 0; i < settings.Seeds; i++)
        {
            var report = Run(settings with { Seed = settings.Seed + i }, log);
            reports.Add(report);
            foreach (var run in report.Runs)
                log.WriteLine($"  seed {settings.Seed + i}: {run.Name}: test {run.TestAccuracy:P1}, validation {run.ValidationAccuracy:P2} (loss {run.ValidationLoss:F4}), " +
                              $"F1 {run.F1:P1}, {run.HessianVectorProducts} HVPs, {run.Elapsed.TotalSeconds:F1} s");
            foreach (var row in report.Baselines) log.WriteLine($"  seed {settings.Seed + i}: {row.TrainedOn}: {row.TestAccuracy:P1} ({row.Choice})");
        }
        if (settings.OutputDirectory is { } folder) Save(reports, settings, folder, log);
        return reports;
    }

    /// <summary>Runs one seed: one bilevel run per method, the tuned baselines and the oracle.</summary>
    public static CleaningReport Run(HyperCleaningSettings settings, TextWriter? log = null)
    {
        log ??= Console.Out;
        var data = Load(settings);
        log.WriteLine($"Hyper-cleaning on Fashion-MNIST, seed {settings.Seed}: {settings.TrainCount} training images ({settings.CorruptedFraction:P0} of labels corrupted), " +
                      $"{settings.ValidationCount} clean validation images, {settings.TestCount} test images.");

        var runs = settings.Methods.Select(method => Clean(data, settings, method, log)).ToList();
        var baselines = new List<CleaningOutcome>();
        if (settings.Baselines)
        {
            log.WriteLine("Tuning and training the baselines and the oracle...");
            baselines.Add(TunedOnValidation("noisy training set", data.TrainX, data.NoisyTrainY, data, settings));
            baselines.Add(TunedOnHalfOfValidation("validation set only", null, null, data, settings));
            baselines.Add(TunedOnHalfOfValidation("noisy training + validation", data.TrainX, data.NoisyTrainY, data, settings));
            using var clean = data.Corrupted.logical_not().nonzero().squeeze(1);
            baselines.Add(TunedOnValidation(Oracle, data.TrainX.index_select(0, clean), data.NoisyTrainY.index_select(0, clean), data, settings));
        }
        return new CleaningReport(runs, baselines);
    }

    /// <summary>The seed's data (<see cref="SampleSettings.Seed"/> also seeds torch).</summary>
    public static CleaningData Load(HyperCleaningSettings settings)
    {
        manual_seed(settings.Seed);
        return CleaningData.Load(settings.DataDirectory, settings.TrainCount, settings.ValidationCount, settings.TestCount, settings.CorruptedFraction, settings.Seed);
    }

    /// <summary>One bilevel run of <paramref name="method"/> on <paramref name="data"/> from zero weights; reports what it measured and warned.</summary>
    public static CleaningRun Clean(CleaningData data, HyperCleaningSettings settings, CleaningMethod method, TextWriter log)
    {
        var problem = method.Create(settings.TrainCount, (int)data.TrainX.shape[1], CleaningData.Classes, settings.Ridge);
        var runnable = CleaningMethod.AsRunnable(problem);
        string name = CleaningMethod.Describe(runnable.BilevelProblem.Settings, settings.UnrollSteps);
        var curve = new List<double>();
        long iterations = 0;
        var bar = new ConsoleProgressBar(name, settings.Steps, log == Console.Out ? null : log);
        var clock = Stopwatch.StartNew();
        var result = runnable.Run(
            BatchSource.FullBatch(data.TrainX, data.NoisyTrainY),
            BatchSource.FullBatch(data.ValidationX, data.ValidationY),
            new BilevelOptions
            {
                Steps = settings.Steps,
                UnrollSteps = settings.UnrollSteps,
                InnerOptimizer = new DifferentiableSgd(settings.InnerLearningRate),
                OuterOptimizer = optim.Adam(new[] { problem.SampleLogits }, settings.OuterLearningRate),
            },
            new SynchronousProgress<BilevelProgress>(p =>
            {
                iterations += p.Iterations;
                if (!settings.TrackTestAccuracy)
                {
                    bar.Report(p.Step, $"validation loss {p.OuterLoss:F4}");
                    return;
                }
                curve.Add(PlainTraining.Accuracy(problem.Model, data.TestX, data.TestY));
                bar.Report(p.Step, $"validation loss {p.OuterLoss:F4}  test accuracy {curve[^1]:P1}");
            }));
        var elapsed = clock.Elapsed;
        var accuracy = PlainTraining.Accuracy(problem.Model, data.TestX, data.TestY);
        bar.Report(settings.Steps, $"test accuracy {accuracy:P1}");

        using var noGrad = no_grad();
        var dropped = problem.SampleWeights.lt(0.5);
        double found = dropped.logical_and(data.Corrupted).sum().ToDouble();
        double precision = found / Math.Max(1, dropped.sum().ToDouble());
        double recall = found / Math.Max(1, data.Corrupted.sum().ToDouble());
        double validationLoss = problem.ValidationLoss(data.ValidationX, data.ValidationY).ToDouble();
        var warnings = result.Warnings.Select(w => $"{w.Kind} ×{w.Count}: {w.FirstMessage}").ToList();
        if (result.OuterStepsNotConverged > 0)
            log.WriteLine($"Warning ({name}): the hypergradient missed its tolerance at {result.OuterStepsNotConverged} of {result.OuterSteps} outer steps" +
                          (double.IsNaN(result.WorstRelativeResidual) ? " (reverse mode: the last inner iterate is not stationary to the tolerance)." : $" (worst relative residual {result.WorstRelativeResidual:E1})."));
        foreach (var warning in warnings) log.WriteLine($"Warning ({name}): {warning}");
        return new CleaningRun(name, accuracy, PlainTraining.Accuracy(problem.Model, data.ValidationX, data.ValidationY), validationLoss, elapsed, curve,
            precision, recall, result.OuterSteps, result.HessianVectorProducts, iterations, result.OuterStepsNotConverged, result.WorstRelativeResidual, warnings);
    }
    /// <summary>A baseline trained on data that excludes the validation set: tuned on the whole validation set.</summary>
    static CleaningOutcome TunedOnValidation(string name, Tensor x, Tensor y, CleaningData data, HyperCleaningSettings settings)
    {
        var clock = Stopwatch.StartNew();
        var choice = TunedBaseline.Tune(x, y, data.ValidationX, data.ValidationY, settings);
        using var model = TunedBaseline.Train(x, y, choice.LearningRate, choice.Ridge, [choice.Steps]);
        return new CleaningOutcome(name, PlainTraining.Accuracy(model, data.TestX, data.TestY), clock.Elapsed, choice.ToString());
    }

    /// <summary>
    /// A baseline that trains on the validation set (plus, optionally, the noisy set): the grid is scored by
    /// training on one half of the validation images and testing on the other, then the chosen setting is
    /// trained on all of them. The test set is never looked at.
    /// </summary>
    static CleaningOutcome TunedOnHalfOfValidation(string name, Tensor? noisyX, Tensor? noisyY, CleaningData data, HyperCleaningSettings settings)
    {
        var clock = Stopwatch.StartNew();
        long half = data.ValidationX.shape[0] / 2;
        Tensor With(Tensor? noisy, Tensor part) => noisy is null ? part : cat(new[] { noisy, part });
        var choice = TunedBaseline.Tune(
            With(noisyX, data.ValidationX[..(int)half]), With(noisyY, data.ValidationY[..(int)half]),
            data.ValidationX[(int)half..], data.ValidationY[(int)half..], settings);
        using var model = TunedBaseline.Train(With(noisyX, data.ValidationX), With(noisyY, data.ValidationY), choice.LearningRate, choice.Ridge, [choice.Steps]);
        return new CleaningOutcome(name, PlainTraining.Accuracy(model, data.TestX, data.TestY), clock.Elapsed, choice.ToString());
    }

    static void Save(IReadOnlyList<CleaningReport> reports, HyperCleaningSettings settings, string folder, TextWriter log)
    {
        var first = reports[0];
        string file = settings.ResultsName;
        string? png = null;
        if (first.Runs.Any(r => r.TestAccuracyCurve.Count > 0))
        {
            var plot = new CurvePlot($"Hyper-cleaning on Fashion-MNIST ({settings.CorruptedFraction:P0} of training labels corrupted), seed {settings.Seed}", "outer step", "test accuracy");
            foreach (var run in first.Runs)
                plot.Line(first.Runs.Count == 1 ? "learned sample weights" : run.Name, Enumerable.Range(1, run.TestAccuracyCurve.Count).Select(i => (double)i), run.TestAccuracyCurve);
            foreach (var row in first.Baselines) plot.Reference(row.TrainedOn, row.TestAccuracy);
            png = plot.Save(Path.Combine(folder, file + ".png"), ScottPlot.Alignment.LowerRight);
        }

        string Stat(Func<CleaningReport, double> value, string format = "F1") => SeedStatistics.MeanStd(reports.Select(value), format);
        var table = new ResultsTable("trained on", $"test accuracy ({reports.Count} seeds)", "validation accuracy", "flagged: precision / recall / F1",
            "HVPs per outer step", "outer steps within tolerance", "time per seed");
        for (int r = 0; r < first.Runs.Count; r++)
        {
            int i = r;
            var run = first.Runs[i];
            table.Add(first.Rows[i].TrainedOn,
                Stat(x => 100 * x.Runs[i].TestAccuracy) + " %",
                Stat(x => 100 * x.Runs[i].ValidationAccuracy) + " %",
                $"{Stat(x => 100 * x.Runs[i].Precision, "F0")} / {Stat(x => 100 * x.Runs[i].Recall, "F0")} / {Stat(x => 100 * x.Runs[i].F1)} %",
                $"{reports.Average(x => (double)x.Runs[i].HessianVectorProducts / x.Runs[i].OuterSteps):F1}",
                $"{string.Join(", ", reports.Select(x => x.Runs[i].OuterSteps - x.Runs[i].OuterStepsNotConverged))} of {run.OuterSteps}",
                $"{reports.Average(x => x.Runs[i].Elapsed.TotalSeconds):F1} s");
        }
        for (int b = 0; b < first.Baselines.Count; b++)
        {
            int i = b;
            table.Add(first.Baselines[i].TrainedOn, Stat(x => 100 * x.Baselines[i].TestAccuracy) + " %", "—", "—", "—", "—",
                $"{reports.Average(x => x.Baselines[i].Elapsed.TotalSeconds):F1} s");
        }
        var md = table.PrintAndSave(Path.Combine(folder, file + ".md"));
        log.WriteLine($"\nWrote {(png is null ? "" : png + " and ")}{md}.");
    }
}
