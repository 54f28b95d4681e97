using System.Diagnostics;
using Hypergrad.Data;
using Hypergrad.Samples.Data;
using Hypergrad.Optimizers;
using Hypergrad.Samples;
using Hypergrad.Solving;
using TorchSharp;
using static TorchSharp.torch;

namespace DatasetDistillation;

/// <summary>The sample's knobs; the defaults are the README run.</summary>
public sealed record DistillationSettings : SampleSettings
{
    /// <summary>The README run: 300 outer steps, classifiers trained for 30 steps.</summary>
    public DistillationSettings() { OuterSteps = 300; UnrollSteps = 30; }

    /// <summary>Synthetic images per class.</summary>
    public int ImagesPerClass { get; init; } = 1;
    /// <summary>Step size of the classifier's gradient steps (on synthetic or random real images).</summary>
    public double InnerLearningRate { get; init; } = 0.1;
    /// <summary>Adam step size on the synthetic pixels.</summary>
    public double OuterLearningRate { get; init; } = 0.01;
    /// <summary>Real training images per outer step.</summary>
    public int RealBatch { get; init; } = 1000;
    /// <summary>Test images (of Fashion-MNIST's 10,000).</summary>
    public int TestCount { get; init; } = 10000;
    /// <summary>Random draws of real images the baseline averages over.</summary>
    public int BaselineDraws { get; init; } = 10;
    /// <summary>Folder with Fashion-MNIST's IDX files; Debian's location when null.</summary>
    public string? DataDirectory { get; init; }
}

/// <summary>What the run measured (test accuracies of a classifier trained for <c>UnrollSteps</c> steps from zero).</summary>
/// <param name="Distilled">Trained on the distilled images.</param>
/// <param name="RandomReal">Trained on as many random real images (mean over the draws).</param>
/// <param name="RandomRealDeviation">Standard deviation over the draws.</param>
/// <param name="AllReal">Trained on all 60,000 real training images, for reference.</param>
/// <param name="Curve">Test accuracy of the distilled images after each outer step.</param>
/// <param name="Elapsed">Time of the distillation.</param>
public sealed record DistillationReport(double Distilled, double RandomReal, double RandomRealDeviation, double AllReal, IReadOnlyList<double> Curve, TimeSpan Elapsed);

/// <summary>Distils Fashion-MNIST into a few images per class and compares with random real images.</summary>
public static class DistillationSample
{
    const int Classes = 10;

    /// <summary>Runs everything.</summary>
    public static DistillationReport Run(DistillationSettings settings, TextWriter? log = null)
    {
        log ??= Console.Out;
        manual_seed(settings.Seed);
        var train = FashionMnist.Load(DatasetSplit.Train, settings.DataDirectory);
        var test = FashionMnist.Load(DatasetSplit.Test, settings.DataDirectory).Take(settings.TestCount);
        // Centred pixels let plain gradient descent take large steps; the mean is added back for display.
        var mean = train.Flattened().mean(new long[] { 0 });
        var (trainX, trainY) = (train.Flattened() - mean, train.Labels);
        var (testX, testY) = (test.Flattened() - mean, test.Labels);
        int count = Classes * settings.ImagesPerClass;
        var labels = arange(Classes).repeat_interleave(settings.ImagesPerClass);
        log.WriteLine($"Dataset distillation on Fashion-MNIST: {count} synthetic images ({settings.ImagesPerClass} per class), " +
                      $"a linear classifier trained on them for {settings.UnrollSteps} steps from zero, {settings.OuterSteps} outer steps.");

        double Accuracy(Tensor images, Tensor imageLabels)
        {
            using var scope = NewDisposeScope();
            var model = PlainTraining.LinearClassifier(images.detach(), imageLabels, Classes, settings.UnrollSteps, settings.InnerLearningRate);
            return PlainTraining.Accuracy(model, testX, testY);
        }

        var random = new Random(settings.Seed);
        var draws = Enumerable.Range(0, settings.BaselineDraws).Select(_ => RandomImages(trainY, settings.ImagesPerClass, random)).ToList();
        var baseline = draws.Select(rows => Accuracy(trainX.index_select(0, rows), labels)).ToArray();
        double allReal = Accuracy(trainX, trainY);

        // The synthetic images start as the first random draw: step 0 of the curve is a baseline draw.
        var problem = new Distillation(trainX.index_select(0, draws[0]), labels, Classes);
        var curve = new List<double>();
        var bar = new ConsoleProgressBar("distillation", settings.Steps, log == Console.Out ? null : log);
        var clock = Stopwatch.StartNew();
        problem.Run(
            BatchSource.Shuffled(trainX, trainY, settings.RealBatch, settings.Seed),
            new BilevelOptions
            {
                Steps = settings.Steps,
                UnrollSteps = settings.UnrollSteps,
                InnerOptimizer = new DifferentiableSgd(settings.InnerLearningRate),
                OuterOptimizer = optim.Adam(new[] { problem.Images }, settings.OuterLearningRate),
                // Every outer step judges the synthetic images by a classifier trained on them from scratch.
                AfterOuterStep = _ => ZeroClassifier.Reset(problem.Model),
            },
            new SynchronousProgress<BilevelProgress>(p =>
            {
                curve.Add(Accuracy(problem.Images, labels));
                bar.Report(p.Step, $"real-batch loss {p.OuterLoss:F3}  test accuracy {curve[^1]:P1}");
            }));
        var distilled = Accuracy(problem.Images, labels);
        bar.Report(settings.Steps, $"test accuracy {distilled:P1}");

        double meanBaseline = baseline.Average();
        double deviation = Math.Sqrt(baseline.Select(a => (a - meanBaseline) * (a - meanBaseline)).Average());
        var report = new DistillationReport(distilled, meanBaseline, deviation, allReal, curve, clock.Elapsed);
        if (settings.OutputDirectory is { } folder)
            Save(report, settings, problem.Images.detach() + mean, trainX.index_select(0, draws[0]) + mean, folder, log);
        return report;
    }

    /// <summary>Row indices of <paramref name="perClass"/> random images of each class, class by class.</summary>
    static Tensor RandomImages(Tensor labels, int perClass, Random random)
    {
        var all = labels.data<long>().ToArray();
        var rows = Enumerable.Range(0, Classes)
            .SelectMany(c => Enumerable.Range(0, all.Length).Where(i => all[i] == c).OrderBy(_ => random.Next()).Take(perClass))
            .Select(i => (long)i).ToArray();
        return tensor(rows);
    }

    static void Save(DistillationReport report, DistillationSettings settings, Tensor distilled, Tensor initial, string folder, TextWriter log)
    {
        int count = (int)distilled.shape[0];
        var plot = new CurvePlot($"Dataset distillation: {count} images train a linear classifier", "outer step", "test accuracy");
        plot.Line("distilled images", Enumerable.Range(1, report.Curve.Count).Select(i => (double)i), report.Curve);
        plot.Reference($"{count} random real images (mean of {settings.BaselineDraws})", report.RandomReal);
        plot.Reference("all 60,000 real images", report.AllReal);
        var png = plot.Save(Path.Combine(folder, "dataset-distillation.png"), ScottPlot.Alignment.LowerRight);
        // Top row: the random real images the distillation started from; bottom row: the distilled images.
        var grid = ImageGrid.Save(Path.Combine(folder, "dataset-distillation-images.png"),
            cat(new[] { initial, distilled }).reshape(-1, 28, 28), columns: count, scale: 3);

        var table = new ResultsTable("classifier trained on", "test accuracy");
        table.Add($"{count} distilled images", $"{report.Distilled:P1}");
        table.Add($"{count} random real images ({settings.BaselineDraws} draws)", $"{report.RandomReal:P1} ± {report.RandomRealDeviation:P1}");
        table.Add("all 60,000 real images", $"{report.AllReal:P1}");
        var md = table.PrintAndSave(Path.Combine(folder, "dataset-distillation.md"));
        log.WriteLine($"\nWrote {png}, {grid} and {md} (distillation took {report.Elapsed.TotalSeconds:F1} s).");
    }
}
