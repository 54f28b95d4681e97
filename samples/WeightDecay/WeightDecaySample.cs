using System.Diagnostics;
using Hypergrad.Data;
using Hypergrad.Optimizers;
using Hypergrad.Samples;
using Hypergrad.Solving;
using TorchSharp;
using static TorchSharp.torch;

namespace WeightDecay;

/// <summary>The sample's knobs; the defaults are the README run.</summary>
public sealed record WeightDecaySettings : SampleSettings
{
    /// <summary>The README run: 30 outer steps of 100 inner steps, seed 1.</summary>
    public WeightDecaySettings() { OuterSteps = 30; UnrollSteps = 100; Seed = 1; }

    /// <summary>Examples split 50/50 into training and validation (as many again form the test set).</summary>
    public int Count { get; init; } = 1000;
    /// <summary>Features d (one decay each).</summary>
    public int Features { get; init; } = 100;
    /// <summary>Inner SGD step size.</summary>
    public double InnerLearningRate { get; init; } = 0.1;
    /// <summary>Outer SGD step size on the log-decays.</summary>
    public double OuterLearningRate { get; init; } = 30;
    /// <summary>Outer SGD momentum.</summary>
    public double OuterMomentum { get; init; } = 0.9;
    /// <summary>Synthetic data: how many leading features carry signal (the other weights of the true model are zero).</summary>
    public int Informative { get; init; } = 10;
    /// <summary>Synthetic data: deviation σ of the noise added to xᵀw before thresholding (label noise).</summary>
    public double Noise { get; init; } = 1.0;
    /// <summary>A CSV file with a 0/1 target column to use instead of the synthetic data.</summary>
    public string? CsvPath { get; init; }
    /// <summary>The target column of <see cref="CsvPath"/>.</summary>
    public string TargetColumn { get; init; } = "y";
}

/// <summary>Validation and test loss of one way of choosing the decays.</summary>
public sealed record DecayOutcome(string Name, double ValidationBefore, double ValidationAfter, double TestAfter, TimeSpan Elapsed, IReadOnlyList<double> OuterLosses);

/// <summary>Runs the three hypergradient methods and the baselines, then writes the plot and the table.</summary>
public static class WeightDecaySample
{
    /// <summary>Runs everything and returns one outcome per row of the results table.</summary>
    public static IReadOnlyList<DecayOutcome> Run(WeightDecaySettings settings, TextWriter? log = null)
    {
        log ??= Console.Out;
        manual_seed(settings.Seed);
        var data = settings.CsvPath is { } csv
            ? LogisticData.FromCsv(csv, settings.TargetColumn, settings.Seed)
            : LogisticData.Synthetic(settings.Count, settings.Features, settings.Seed, settings.Informative, settings.Noise);
        log.WriteLine($"Per-weight decay: {data.TrainX.shape[0]} training, {data.ValidationX.shape[0]} validation, {data.TestX.shape[0]} test examples, " +
                      $"{data.Features} features; {settings.OuterSteps} outer steps of {settings.UnrollSteps} inner SGD steps.");

        var outcomes = new List<DecayOutcome>
        {
            Tune("Nyström (rank 10)", new NystromDecayTuning(data.Features), data, settings, log),
            Tune("conjugate gradient", new ConjugateGradientDecayTuning(data.Features), data, settings, log),
            Tune("reverse mode", new ReverseModeDecayTuning(data.Features), data, settings, log),
        };
        outcomes.Add(BestSingleDecay(data, settings, log));

        if (settings.OutputDirectory is { } folder) Save(outcomes, settings, folder, log);
        return outcomes;
    }

    static DecayOutcome Tune<TProblem>(string name, TProblem problem, LogisticData data, WeightDecaySettings settings, TextWriter log)
        where TProblem : DecayTuning, IBilevelProblemClass<(Tensor x, Tensor y), (Tensor x, Tensor y)>
    {
        var bar = new ConsoleProgressBar(name, settings.Steps, log == Console.Out ? null : log);
        var clock = Stopwatch.StartNew();
        var run = problem.Run(
            BatchSource.FullBatch(data.TrainX, data.TrainY),
            BatchSource.FullBatch(data.ValidationX, data.ValidationY),
            new BilevelOptions
            {
                Steps = settings.Steps,
                UnrollSteps = settings.UnrollSteps,
                InnerOptimizer = new DifferentiableSgd(settings.InnerLearningRate),
                OuterOptimizer = optim.SGD(new[] { problem.LogDecay }, settings.OuterLearningRate, momentum: settings.OuterMomentum),
                // Keep every decay ≤ 1/η so the inner SGD step stays stable (hypergrad's example clamps too).
                AfterOuterStep = _ => { using (no_grad()) problem.LogDecay.clamp_(max: MaxLogDecay(settings)); },
            },
            new SynchronousProgress<BilevelProgress>(p => bar.Report(p.Step, $"validation loss {p.OuterLoss:F4}")));
        bar.Report(settings.Steps, $"validation loss {run.OuterLosses[^1]:F4}");

        using var noGrad = no_grad();
        return new DecayOutcome(name,
            ValidationBefore: run.OuterLosses[0],
            ValidationAfter: problem.ValidationLoss(data.ValidationX, data.ValidationY).item<float>(),
            TestAfter: problem.ValidationLoss(data.TestX, data.TestY).item<float>(),
            clock.Elapsed, run.OuterLosses);
    }

    /// <summary>log(1/η): above this decay an SGD step of size η on the penalty alone would overshoot.</summary>
    static double MaxLogDecay(WeightDecaySettings settings) => -Math.Log(settings.InnerLearningRate);

    /// <summary>
    /// The baseline: one decay shared by all weights, the best of a grid picked on the validation set, each
    /// trained by the same SGD for as many steps (no hypergradients).
    /// </summary>
    static DecayOutcome BestSingleDecay(LogisticData data, WeightDecaySettings settings, TextWriter log)
    {
        log.WriteLine("Baseline: one decay shared by all weights, grid search on the validation set...");
        var clock = Stopwatch.StartNew();
        var grid = new[] { 1.0, 0.3, 0.1, 0.03, 0.01, 0.003, 0.001, 0.0 };
        var results = grid.Select(decay => (decay, losses: TrainWithSharedDecay(data, decay, settings))).ToList();
        var start = results[0];
        var best = results.MinBy(r => r.losses.Validation);
        log.WriteLine($"single shared decay, grid {string.Join(", ", grid)}: best {best.decay} (validation loss {best.losses.Validation:F4})");
        return new DecayOutcome($"best single decay ({best.decay})", start.losses.Validation, best.losses.Validation, best.losses.Test, clock.Elapsed, Array.Empty<double>());
    }

    static (double Validation, double Test) TrainWithSharedDecay(LogisticData data, double decay, WeightDecaySettings settings)
    {
        var model = Logistic.ZeroModel(data.Features);
        using var optimizer = optim.SGD(model.parameters(), settings.InnerLearningRate);
        for (int step = 0; step < settings.Steps; step++)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            var loss = Logistic.Loss(model, data.TrainX, data.TrainY) + 0.5 * decay * model.weight!.pow(2).sum();
            loss.backward();
            optimizer.step();
        }
        using var noGrad = no_grad();
        return (Logistic.Loss(model, data.ValidationX, data.ValidationY).item<float>(), Logistic.Loss(model, data.TestX, data.TestY).item<float>());
    }

    static void Save(IReadOnlyList<DecayOutcome> outcomes, WeightDecaySettings settings, string folder, TextWriter log)
    {
        var plot = new CurvePlot("Per-weight decay: validation loss during tuning", "outer step", "validation loss (BCE)");
        foreach (var o in outcomes.Where(o => o.OuterLosses.Count > 0))
            plot.Line(o.Name, Enumerable.Range(0, o.OuterLosses.Count).Select(i => (double)i), o.OuterLosses);
        var single = outcomes.Single(o => o.OuterLosses.Count == 0);
        plot.Reference(single.Name, single.ValidationAfter);
        var png = plot.Save(Path.Combine(folder, "weight-decay.png"));

        var table = new ResultsTable("decays chosen by", "validation loss before", "validation loss after", "test loss after", "time");
        foreach (var o in outcomes)
            table.Add(o.Name, $"{o.ValidationBefore:F3}", $"{o.ValidationAfter:F3}", $"{o.TestAfter:F3}", $"{o.Elapsed.TotalSeconds:F1} s");
        var md = table.PrintAndSave(Path.Combine(folder, "weight-decay.md"));
        log.WriteLine($"\nWrote {png} and {md}.");
    }
}
