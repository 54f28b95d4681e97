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
    public static HyperCleaningSettings Literature => new() { TrainCount = 5000, ValidationCount = 5000, TestCount = 10000, CorruptedFraction = 0.5 };

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
}

/// <summary>Test accuracy of a classifier trained on some choice of training data.</summary>
/// <param name="Choice">The setting its grid search chose, or the fixed setting of the bilevel run.</param>
public sealed record CleaningOutcome(string TrainedOn, double TestAccuracy, TimeSpan Elapsed, string Choice);

/// <summary>What one seed's run measured.</summary>
/// <param name="Rows">Learned sample weights first, then the tuned baselines, then the clean-only oracle.</param>
/// <param name="TestAccuracyCurve">Test accuracy of the inner model after each outer step.</param>
/// <param name="Precision">Of the samples whose learned weight is below ½, the fraction that were corrupted.</param>
/// <param name="Recall">Of the corrupted samples, the fraction whose learned weight is below ½.</param>
/// <param name="OuterStepsNotConverged">Outer steps whose conjugate-gradient solve missed its tolerance.</param>
/// <param name="WorstRelativeResidual">The largest final relative residual of those solves.</param>
/// <param name="Warnings">Other warnings the run reported.</param>
public sealed record CleaningReport(IReadOnlyList<CleaningOutcome> Rows, IReadOnlyList<double> TestAccuracyCurve, double Precision, double Recall,
    int OuterStepsNotConverged, double WorstRelativeResidual, IReadOnlyList<string> Warnings)
{
    /// <summary>Whether every conjugate-gradient solve of the run met its tolerance.</summary>
    public bool Converged => OuterStepsNotConverged == 0;

    /// <summary>F1 of the flagged (weight below ½) samples as detections of the corrupted ones.</summary>
    public double F1 => Precision + Recall == 0 ? 0 : 2 * Precision * Recall / (Precision + Recall);
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
        log.WriteLine($"Baselines' grid (chosen on clean held-out images): η ∈ {{{string.Join(", ", settings.TuningLearningRates)}}}, " +
                      $"ρ ∈ {{{string.Join(", ", settings.TuningRidges.Select(r => r.ToString("0e0")))}}}, steps ∈ {{{string.Join(", ", settings.TuningSteps)}}}.");
        var reports = new List<CleaningReport>();
        for (int i = 0; i < settings.Seeds; i++)
        {
            var report = Run(settings with { Seed = settings.Seed + i }, log);
            reports.Add(report);
            foreach (var row in report.Rows) log.WriteLine($"  seed {settings.Seed + i}: {row.TrainedOn}: {row.TestAccuracy:P1} ({row.Choice})");
        }
        if (settings.OutputDirectory is { } folder) Save(reports, folder, log);
        return reports;
    }

    /// <summary>Runs one seed: the bilevel run, the tuned baselines and the oracle.</summary>
    public static CleaningReport Run(HyperCleaningSettings settings, TextWriter? log = null)
    {
        log ??= Console.Out;
        manual_seed(settings.Seed);
        var data = CleaningData.Load(settings.DataDirectory, settings.TrainCount, settings.ValidationCount, settings.TestCount, settings.CorruptedFraction, settings.Seed);
        log.WriteLine($"Hyper-cleaning on Fashion-MNIST, seed {settings.Seed}: {settings.TrainCount} training images ({settings.CorruptedFraction:P0} of labels corrupted), " +
                      $"{settings.ValidationCount} clean validation images, {settings.TestCount} test images.");

        var (cleaned, curve, precision, recall, notConverged, worst, warnings) = Clean(data, settings, log);
        var rows = new List<CleaningOutcome> { cleaned };
        log.WriteLine("Tuning and training the baselines and the oracle...");
        rows.Add(TunedOnValidation("noisy training set", data.TrainX, data.NoisyTrainY, data, settings));
        rows.Add(TunedOnHalfOfValidation("validation set only", null, null, data, settings));
        rows.Add(TunedOnHalfOfValidation("noisy training + validation", data.TrainX, data.NoisyTrainY, data, settings));
        using var clean = data.Corrupted.logical_not().nonzero().squeeze(1);
        rows.Add(TunedOnValidation(Oracle, data.TrainX.index_select(0, clean), data.NoisyTrainY.index_select(0, clean), data, settings));
        var report = new CleaningReport(rows, curve, precision, recall, notConverged, worst, warnings);
        log.WriteLine($"Samples weighted below ½: {precision:P1} of them were corrupted; {recall:P1} of the corrupted samples were found (F1 {report.F1:P1}).");
        if (notConverged > 0)
            log.WriteLine($"Warning: the conjugate-gradient solve missed its tolerance at {notConverged} of {settings.OuterSteps} outer steps (worst relative residual {worst:E1}).");
        foreach (var warning in warnings) log.WriteLine($"Warning: {warning}");
        return report;
    }

    static (CleaningOutcome, List<double>, double, double, int, double, List<string>) Clean(CleaningData data, HyperCleaningSettings settings, TextWriter log)
    {
        var problem = new DataCleaning(settings.TrainCount, (int)data.TrainX.shape[1], CleaningData.Classes, settings.Ridge);
        var curve = new List<double>();
        var bar = new ConsoleProgressBar("hyper-cleaning", settings.Steps, log == Console.Out ? null : log);
        var clock = Stopwatch.StartNew();
        var result = problem.Run(
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
                curve.Add(PlainTraining.Accuracy(problem.Model, data.TestX, data.TestY));
                bar.Report(p.Step, $"validation loss {p.OuterLoss:F4}  test accuracy {curve[^1]:P1}");
            }));
        var accuracy = PlainTraining.Accuracy(problem.Model, data.TestX, data.TestY);
        bar.Report(settings.Steps, $"test accuracy {accuracy:P1}");

        using var noGrad = no_grad();
        var dropped = problem.SampleWeights.lt(0.5);
        double found = dropped.logical_and(data.Corrupted).sum().ToDouble();
        double precision = found / Math.Max(1, dropped.sum().ToDouble());
        double recall = found / Math.Max(1, data.Corrupted.sum().ToDouble());
        var choice = $"η {settings.InnerLearningRate:G3}, ρ {settings.Ridge:0e0}, {settings.UnrollSteps}×{settings.OuterSteps + 1} steps (fixed)";
        return (new CleaningOutcome("noisy training set, learned sample weights", accuracy, clock.Elapsed, choice), curve, precision, recall,
                result.OuterStepsNotConverged, result.WorstRelativeResidual, result.Warnings.Select(w => $"{w.Kind} ×{w.Count}: {w.FirstMessage}").ToList());
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

    static void Save(IReadOnlyList<CleaningReport> reports, string folder, TextWriter log)
    {
        var first = reports[0];
        var plot = new CurvePlot("Hyper-cleaning on Fashion-MNIST (50% of training labels corrupted), first seed", "outer step", "test accuracy");
        plot.Line("learned sample weights", Enumerable.Range(1, first.TestAccuracyCurve.Count).Select(i => (double)i), first.TestAccuracyCurve);
        foreach (var row in first.Rows.Skip(1)) plot.Reference(row.TrainedOn, row.TestAccuracy);
        var png = plot.Save(Path.Combine(folder, "hyper-cleaning.png"), ScottPlot.Alignment.LowerRight);

        var table = new ResultsTable("trained on", $"test accuracy ({reports.Count} seeds)", "time per seed");
        for (int r = 0; r < first.Rows.Count; r++)
        {
            int row = r;
            table.Add(first.Rows[row].TrainedOn,
                SeedStatistics.MeanStd(reports.Select(x => 100 * x.Rows[row].TestAccuracy), "F1") + " %",
                $"{reports.Average(x => x.Rows[row].Elapsed.TotalSeconds):F1} s");
        }
        var md = table.PrintAndSave(Path.Combine(folder, "hyper-cleaning.md"));
        Console.WriteLine($"\nFlagged samples (weight < ½): precision {SeedStatistics.MeanStd(reports.Select(x => 100 * x.Precision), "F1")} %, " +
                          $"recall {SeedStatistics.MeanStd(reports.Select(x => 100 * x.Recall), "F1")} %, F1 {SeedStatistics.MeanStd(reports.Select(x => 100 * x.F1), "F1")} %; " +
                          $"outer steps whose CG solve missed its tolerance: {string.Join(", ", reports.Select(x => x.OuterStepsNotConverged))} of {reports[0].TestAccuracyCurve.Count} per seed.");
        log.WriteLine($"\nWrote {png} and {md}.");
    }
}
