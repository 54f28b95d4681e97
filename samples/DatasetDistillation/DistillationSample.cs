using System.Diagnostics;
using Hypergrad.Data;
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
    /// <summary>The step size η the distillation starts from (then learned with the images).</summary>
    public double InitialLearningRate { get; init; } = 0.1;
    /// <summary>Adam step size on the synthetic pixels and on log η.</summary>
    public double OuterLearningRate { get; init; } = 0.01;
    /// <summary>Real training images per outer step.</summary>
    public int RealBatch { get; init; } = 1000;
    /// <summary>Training images (the distillation's real images and the baselines' training data).</summary>
    public int TrainCount { get; init; } = 55000;
    /// <summary>Validation images, held out of Fashion-MNIST's training split: they choose the baselines' settings.</summary>
    public int ValidationCount { get; init; } = 5000;
    /// <summary>Test images (of Fashion-MNIST's 10,000): reported only.</summary>
    public int TestCount { get; init; } = 10000;
    /// <summary>Random draws of real images the random-images baseline averages over.</summary>
    public int BaselineDraws { get; init; } = 10;
    /// <summary>Seeds run by <see cref="DistillationSample.RunSeeds"/>: <see cref="SampleSettings.Seed"/>, Seed + 1, ….</summary>
    public int Seeds { get; init; } = 3;
    /// <summary>The step sizes every short-training baseline chooses from (on validation).</summary>
    public IReadOnlyList<double> LearningRateGrid { get; init; } = [0.01, 0.03, 0.1, 0.3, 1, 3, 10];
    /// <summary>The converged reference's step sizes (mini-batch gradient descent).</summary>
    public IReadOnlyList<double> ConvergedLearningRateGrid { get; init; } = [0.1, 0.3, 1, 3];
    /// <summary>The converged reference's epoch counts (early stopping on validation).</summary>
    public IReadOnlyList<int> ConvergedEpochs { get; init; } = [1, 2, 5, 10, 20, 40, 80];
    /// <summary>The converged reference's batch size.</summary>
    public int ConvergedBatch { get; init; } = 500;
    /// <summary>Folder with Fashion-MNIST's IDX files; Debian's location when null.</summary>
    public string? DataDirectory { get; init; }
}

/// <summary>Test accuracy of a classifier trained on some images, and how its setting was chosen.</summary>
/// <param name="TrainedOn">The row's name.</param>
/// <param name="TestAccuracy">Fraction of test images classified correctly (for random draws: the mean over the draws).</param>
/// <param name="Choice">The setting: learned, or chosen on the validation images.</param>
/// <param name="Elapsed">Time of the distillation, or of the baseline's grid search and training.</param>
public sealed record DistillationOutcome(string TrainedOn, double TestAccuracy, string Choice, TimeSpan Elapsed);

/// <summary>What one seed's run measured.</summary>
/// <param name="Rows">The distilled images first, then the tuned baselines (random real images, all real images with as
/// many steps) and the converged reference.</param>
/// <param name="RandomDraws">Test accuracy of each random draw of real images (its η chosen on validation).</param>
/// <param name="LearnedLearningRate">The step size η learned with the images.</param>
/// <param name="Curve">Test accuracy of the distilled images (trained on at the current η) after each outer step.</param>
/// <param name="Warnings">The warnings the bilevel run reported (kind ×count: first message).</param>
public sealed record DistillationReport(IReadOnlyList<DistillationOutcome> Rows, IReadOnlyList<double> RandomDraws, double LearnedLearningRate,
    IReadOnlyList<double> Curve, IReadOnlyList<string> Warnings)
{
    /// <summary>The distilled images' row.</summary>
    public DistillationOutcome Distilled => Rows[0];
    /// <summary>The random real images' row (mean over the draws).</summary>
    public DistillationOutcome RandomReal => Rows[1];
    /// <summary>All training images with as many steps.</summary>
    public DistillationOutcome AllReal => Rows[2];
    /// <summary>All training images, trained to convergence.</summary>
    public DistillationOutcome Converged => Rows[3];
}

/// <summary>Distils Fashion-MNIST into a few images per class (and a step size) and compares with tuned baselines.</summary>
public static class DistillationSample
{
    const int Classes = DistillationData.Classes;

    /// <summary>Runs <see cref="DistillationSettings.Seeds"/> seeds and prints (and saves) mean ± std per row.</summary>
    public static IReadOnlyList<DistillationReport> RunSeeds(DistillationSettings settings, TextWriter? log = null)
    {
        log ??= Console.Out;
        log.WriteLine($"Baselines' step sizes, chosen on {settings.ValidationCount} validation images: η ∈ {{{string.Join(", ", settings.LearningRateGrid)}}}; " +
                      $"converged reference: η ∈ {{{string.Join(", ", settings.ConvergedLearningRateGrid)}}}, epochs ∈ {{{string.Join(", ", settings.ConvergedEpochs)}}} " +
                      $"(batches of {settings.ConvergedBatch}).");
        var reports = new List<DistillationReport>();
        for (int i = 0; i < settings.Seeds; i++)
        {
            // The figures show the first seed; the table (below) all of them.
            DistillationReport report;
            // The seed's data (hundreds of MB of native memory) and models are freed before the next seed: the GC does not see them.
            using (NewDisposeScope())
                report = Run(settings with { Seed = settings.Seed + i, OutputDirectory = i == 0 ? settings.OutputDirectory : null }, log);
            reports.Add(report);
            foreach (var row in report.Rows) log.WriteLine($"  seed {settings.Seed + i}: {row.TrainedOn}: {row.TestAccuracy:P1} ({row.Choice})");
        }
        if (settings.OutputDirectory is { } folder) SaveTable(reports, settings, folder, log);
        return reports;
    }

    /// <summary>Runs one seed: the distillation, the tuned baselines and the converged reference.</summary>
    public static DistillationReport Run(DistillationSettings settings, TextWriter? log = null)
    {
        log ??= Console.Out;
        manual_seed(settings.Seed);
        var data = DistillationData.Load(settings.DataDirectory, settings.TrainCount, settings.ValidationCount, settings.TestCount, settings.Seed);
        int count = Classes * settings.ImagesPerClass;
        var labels = arange(Classes).repeat_interleave(settings.ImagesPerClass);
        log.WriteLine($"Dataset distillation on Fashion-MNIST, seed {settings.Seed}: {count} synthetic images ({settings.ImagesPerClass} per class) and the step size, " +
                      $"a linear classifier trained on them for {settings.UnrollSteps} steps from zero, {settings.OuterSteps} outer steps; " +
                      $"{settings.TrainCount} training, {settings.ValidationCount} validation, {settings.TestCount} test images.");

        var random = new Random(settings.Seed);
        var draws = Enumerable.Range(0, settings.BaselineDraws).Select(_ => RandomImages(data.TrainY, settings.ImagesPerClass, random)).ToList();
        var (distilled, learnedRate, curve, warnings, images) = Distil(data, data.TrainX.index_select(0, draws[0]), labels, settings, log);

        log.WriteLine("Tuning and training the baselines...");
        var clock = Stopwatch.StartNew();
        var drawImages = stack(draws.Select(rows => data.TrainX.index_select(0, rows)).ToArray());
        var perDraw = TunedBaselines.PerDraw(drawImages, labels.unsqueeze(0).expand(draws.Count, -1), settings.UnrollSteps, settings.LearningRateGrid, data);
        var randomRow = new DistillationOutcome($"{count} random real images ({settings.BaselineDraws} draws)", perDraw.Average(c => c.TestAccuracy),
            $"η per draw: {string.Join(", ", perDraw.GroupBy(c => c.LearningRate).OrderBy(g => g.Key).Select(g => $"{g.Key:G3} ×{g.Count()}"))}, {settings.UnrollSteps} steps",
            clock.Elapsed);

        clock.Restart();
        var all = TunedBaselines.FullBatch(data.TrainX, data.TrainY, settings.UnrollSteps, settings.LearningRateGrid, data);
        var allRow = new DistillationOutcome($"all {settings.TrainCount:N0} real images, {settings.UnrollSteps} steps", all.TestAccuracy,
            $"η {all.LearningRate:G3}, {settings.UnrollSteps} steps", clock.Elapsed);

        clock.Restart();
        var converged = TunedBaselines.Converged(data.TrainX, data.TrainY, settings.ConvergedBatch, settings.ConvergedLearningRateGrid, settings.ConvergedEpochs, settings.Seed, data);
        var convergedRow = new DistillationOutcome($"all {settings.TrainCount:N0} real images, converged", converged.TestAccuracy,
            $"η {converged.LearningRate:G3}, {converged.Steps} epochs of batches of {settings.ConvergedBatch}", clock.Elapsed);

        var report = new DistillationReport([distilled, randomRow, allRow, convergedRow], perDraw.Select(c => c.TestAccuracy).ToList(), learnedRate, curve, warnings);
        foreach (var warning in warnings) log.WriteLine($"Warning: {warning}");
        if (settings.OutputDirectory is { } folder)
            SaveFigures(report, settings, images + data.Mean, data.TrainX.index_select(0, draws[0]) + data.Mean, folder, log);
        return report;
    }

    /// <summary>The distillation itself; returns its row, the learned η, the curve, the run's warnings and the images.</summary>
    static (DistillationOutcome, double, List<double>, List<string>, Tensor) Distil(DistillationData data, Tensor initialImages, Tensor labels,
        DistillationSettings settings, TextWriter log)
    {
        var problem = new Distillation(initialImages, labels, Classes, settings.InitialLearningRate);
        double TestAccuracy() => TrainedAccuracy(problem.Images, labels, problem.LearningRate, settings.UnrollSteps, data.TestX, data.TestY);
        var curve = new List<double>();
        var bar = new ConsoleProgressBar($"distillation (seed {settings.Seed})", settings.Steps, log == Console.Out ? null : log);
        var clock = Stopwatch.StartNew();
        var result = problem.Run(
            BatchSource.Shuffled(data.TrainX, data.TrainY, settings.RealBatch, settings.Seed),
            Options(problem, settings),
            new SynchronousProgress<BilevelProgress>(p =>
            {
                curve.Add(TestAccuracy());
                bar.Report(p.Step, $"real-batch loss {p.OuterLoss:F3}  η {problem.LearningRate:G3}  test accuracy {curve[^1]:P1}");
            }));
        var elapsed = clock.Elapsed;
        var accuracy = TestAccuracy();
        bar.Report(settings.Steps, $"η {problem.LearningRate:G3}  test accuracy {accuracy:P1}");
        // Reverse mode is exact for the steps it unrolls. They stop short of the inner optimum by design (the outer
        // objective is the classifier after exactly these steps), which the run reports as a warning: passed on as is.
        var warnings = result.Warnings.Select(w => $"at {w.Count} of {result.OuterSteps} outer steps: {w.FirstMessage}").ToList();
        var row = new DistillationOutcome($"{initialImages.shape[0]} distilled images, learned η", accuracy,
            $"η {settings.InitialLearningRate:G3} → {problem.LearningRate:G3} (learned), {settings.UnrollSteps} steps", elapsed);
        return (row, problem.LearningRate, curve, warnings, problem.Images.detach().clone());
    }

    /// <summary>
    /// The distillation's run: <see cref="SampleSettings.OuterSteps"/> outer Adam steps on the images and log η, each
    /// differentiating through <see cref="SampleSettings.UnrollSteps"/> steps of gradient descent with step size
    /// exp(log η) on the images, after which the classifier is reset to zero.
    /// </summary>
    /// <remarks>
    /// <c>Run</c> takes one ordinary inner step before the first window (the loop of docs/dsl.md), so the first outer
    /// step's unroll starts one step away from zero; every later one starts at zero.
    /// </remarks>
    public static BilevelOptions Options(Distillation problem, DistillationSettings settings) => new()
    {
        Steps = settings.Steps,
        UnrollSteps = settings.UnrollSteps,
        // A function of the outer variable, evaluated at every inner step: the steps use the current η and the
        // hypergradient reaches log η through all of them.
        InnerOptimizer = new DifferentiableSgd(() => problem.LogLearningRate.exp()),
        OuterOptimizer = optim.Adam(new[] { problem.Images, problem.LogLearningRate }, settings.OuterLearningRate),
        // Every outer step judges the synthetic images by a classifier trained on them from scratch.
        AfterOuterStep = _ => ZeroClassifier.Reset(problem.Model),
    };

    /// <summary>Test accuracy of a classifier trained from zero on <paramref name="images"/> by <paramref name="steps"/> full-batch steps of size η.</summary>
    public static double TrainedAccuracy(Tensor images, Tensor labels, double learningRate, int steps, Tensor testX, Tensor testY)
    {
        using var scope = NewDisposeScope();
        using var bank = new LinearBank([learningRate], images.shape[1], Classes, images.dtype);
        var x = images.detach();
        for (int step = 0; step < steps; step++) bank.Step(x, labels);
        return bank.Accuracies(testX, testY)[0];
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

    static void SaveFigures(DistillationReport report, DistillationSettings settings, Tensor distilled, Tensor initial, string folder, TextWriter log)
    {
        int count = (int)distilled.shape[0];
        var plot = new CurvePlot($"Dataset distillation: {count} images and η train a linear classifier (seed {settings.Seed})", "outer step", "test accuracy");
        plot.Line($"{count} distilled images, learned η", Enumerable.Range(1, report.Curve.Count).Select(i => (double)i), report.Curve);
        foreach (var row in report.Rows.Skip(1)) plot.Reference($"{row.TrainedOn}, tuned η", row.TestAccuracy);
        var png = plot.Save(Path.Combine(folder, "dataset-distillation.png"), ScottPlot.Alignment.LowerRight);
        // Top row: the random real images the distillation started from; bottom row: the distilled images.
        var grid = ImageGrid.Save(Path.Combine(folder, "dataset-distillation-images.png"),
            cat(new[] { initial, distilled }).reshape(-1, 28, 28), columns: count, scale: 3);
        log.WriteLine($"Wrote {png} and {grid}.");
    }

    static void SaveTable(IReadOnlyList<DistillationReport> reports, DistillationSettings settings, string folder, TextWriter log)
    {
        var first = reports[0];
        var table = new ResultsTable("classifier trained on", $"test accuracy ({reports.Count} seeds)", $"setting (seed {settings.Seed})", "time per seed");
        for (int r = 0; r < first.Rows.Count; r++)
        {
            int row = r;
            table.Add(first.Rows[row].TrainedOn,
                SeedStatistics.MeanStd(reports.Select(x => 100 * x.Rows[row].TestAccuracy), "F1") + " %",
                first.Rows[row].Choice,
                $"{reports.Average(x => x.Rows[row].Elapsed.TotalSeconds):F1} s");
        }
        var md = table.PrintAndSave(Path.Combine(folder, "dataset-distillation.md"));
        Console.WriteLine($"\nLearned η per seed: {string.Join(", ", reports.Select(x => x.LearnedLearningRate.ToString("G3")))}; " +
                          $"random draws per seed (mean ± std over the {settings.BaselineDraws} draws): " +
                          string.Join(", ", reports.Select(x => SeedStatistics.MeanStd(x.RandomDraws.Select(a => 100 * a), "F1") + " %")) + ".");
        log.WriteLine($"\nWrote {md}.");
    }
}
