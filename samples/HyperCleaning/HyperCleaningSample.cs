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

    /// <summary>Training images (their labels partly corrupted).</summary>
    public int TrainCount { get; init; } = 5000;
    /// <summary>Clean validation images.</summary>
    public int ValidationCount { get; init; } = 1000;
    /// <summary>Test images (of Fashion-MNIST's 10,000).</summary>
    public int TestCount { get; init; } = 10000;
    /// <summary>Fraction of training labels replaced by a wrong class.</summary>
    public double CorruptedFraction { get; init; } = 0.5;
    /// <summary>Inner (and baseline) step size.</summary>
    public double InnerLearningRate { get; init; } = 0.5;
    /// <summary>Ridge ρ on the classifier's weights (inner objective and baselines).</summary>
    public double Ridge { get; init; } = 1e-3;
    /// <summary>Adam step size on the sample-weight logits.</summary>
    public double OuterLearningRate { get; init; } = 0.1;
    /// <summary>Folder with Fashion-MNIST's IDX files; Debian's location when null.</summary>
    public string? DataDirectory { get; init; }
}

/// <summary>Test accuracy of a classifier trained on some choice of training data.</summary>
public sealed record CleaningOutcome(string TrainedOn, double TestAccuracy, TimeSpan Elapsed);

/// <summary>What the run measured.</summary>
/// <param name="Rows">Learned sample weights first, then the three baselines.</param>
/// <param name="TestAccuracyCurve">Test accuracy of the inner model after each outer step.</param>
/// <param name="Precision">Of the samples whose learned weight is below ½, the fraction that were corrupted.</param>
/// <param name="Recall">Of the corrupted samples, the fraction whose learned weight is below ½.</param>
public sealed record CleaningReport(IReadOnlyList<CleaningOutcome> Rows, IReadOnlyList<double> TestAccuracyCurve, double Precision, double Recall);

/// <summary>Runs hyper-cleaning and its three baselines, then writes the plot and the table.</summary>
public static class HyperCleaningSample
{
    /// <summary>Runs everything.</summary>
    public static CleaningReport Run(HyperCleaningSettings settings, TextWriter? log = null)
    {
        log ??= Console.Out;
        manual_seed(settings.Seed);
        var data = CleaningData.Load(settings.DataDirectory, settings.TrainCount, settings.ValidationCount, settings.TestCount, settings.CorruptedFraction, settings.Seed);
        log.WriteLine($"Hyper-cleaning on Fashion-MNIST: {settings.TrainCount} training images ({settings.CorruptedFraction:P0} of labels corrupted), " +
                      $"{settings.ValidationCount} clean validation images, {settings.TestCount} test images.");

        var (cleaned, curve, precision, recall) = Clean(data, settings, log);
        var rows = new List<CleaningOutcome> { cleaned };
        log.WriteLine("Training the three baselines (noisy set, validation set, both)...");
        rows.Add(Baseline("noisy training set", data.TrainX, data.NoisyTrainY, data, settings));
        rows.Add(Baseline("validation set only", data.ValidationX, data.ValidationY, data, settings));
        rows.Add(Baseline("noisy training + validation", cat(new[] { data.TrainX, data.ValidationX }), cat(new[] { data.NoisyTrainY, data.ValidationY }), data, settings));
        var report = new CleaningReport(rows, curve, precision, recall);
        log.WriteLine($"Samples weighted below ½: {precision:P1} of them were corrupted; {recall:P1} of the corrupted samples were found.");

        if (settings.OutputDirectory is { } folder) Save(report, folder, log);
        return report;
    }

    static (CleaningOutcome, List<double>, double, double) Clean(CleaningData data, HyperCleaningSettings settings, TextWriter log)
    {
        var problem = new DataCleaning(settings.TrainCount, (int)data.TrainX.shape[1], CleaningData.Classes, settings.Ridge);
        var curve = new List<double>();
        var bar = new ConsoleProgressBar("hyper-cleaning", settings.Steps, log == Console.Out ? null : log);
        var clock = Stopwatch.StartNew();
        problem.Run(
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
        return (new CleaningOutcome("noisy training set, learned sample weights", accuracy, clock.Elapsed), curve, precision, recall);
    }

    /// <summary>A baseline: the same linear classifier, the same steps and ridge, trained the plain way on a fixed choice of data.</summary>
    static CleaningOutcome Baseline(string name, Tensor x, Tensor y, CleaningData data, HyperCleaningSettings settings)
    {
        var clock = Stopwatch.StartNew();
        var model = PlainTraining.LinearClassifier(x, y, CleaningData.Classes, settings.Steps, settings.InnerLearningRate, settings.Ridge);
        return new CleaningOutcome(name, PlainTraining.Accuracy(model, data.TestX, data.TestY), clock.Elapsed);
    }

    static void Save(CleaningReport report, string folder, TextWriter log)
    {
        var plot = new CurvePlot("Hyper-cleaning on Fashion-MNIST (50% of training labels corrupted)", "outer step", "test accuracy");
        plot.Line("learned sample weights", Enumerable.Range(1, report.TestAccuracyCurve.Count).Select(i => (double)i), report.TestAccuracyCurve);
        foreach (var row in report.Rows.Skip(1)) plot.Reference(row.TrainedOn, row.TestAccuracy);
        var png = plot.Save(Path.Combine(folder, "hyper-cleaning.png"), ScottPlot.Alignment.LowerRight);

        var table = new ResultsTable("trained on", "test accuracy", "time");
        foreach (var row in report.Rows) table.Add(row.TrainedOn, $"{row.TestAccuracy:P1}", $"{row.Elapsed.TotalSeconds:F1} s");
        var md = table.PrintAndSave(Path.Combine(folder, "hyper-cleaning.md"));
        log.WriteLine($"\nWrote {png} and {md}.");
    }
}
