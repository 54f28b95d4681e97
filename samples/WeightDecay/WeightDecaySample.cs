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
    public double InnerLearningRate { get; init; } = DecayTuning.InnerLearningRate;
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
    /// <summary>
    /// SOBA's grid of outer rates, as factors k of <see cref="WeightDecaySample.SobaRate"/>: SOBA takes an outer step at each of its
    /// <see cref="SampleSettings.Steps"/> iterations, and k = 1 gives steps that add up to the double-loop methods' (outer rate × outer steps).
    /// </summary>
    public IReadOnlyList<double> SobaRateFactors { get; init; } = [0.3, 1, 3, 10];
    /// <summary>SOBA's grid of step schedules: constant steps, and the library's default for SOBA (benchopt's): every step decayed by 1/√(t + 1).</summary>
    public IReadOnlyList<SobaSchedule> SobaSchedules { get; init; } = [SobaSchedule.Constant, SobaSchedule.InverseSqrt];
    /// <summary>Seeds run by <see cref="WeightDecaySample.RunSeeds"/>: <see cref="SampleSettings.Seed"/>, Seed + 1, ….</summary>
    public int Seeds { get; init; } = 3;
    /// <summary>The baselines' grid of SGD step sizes (the method's η and a larger one, so that no baseline is held back by too few steps).</summary>
    public IReadOnlyList<double> TuningLearningRates { get; init; } = [0.1, 1];
    /// <summary>The baselines' grid of shared decays α (penalty ½·α·‖w‖²), log-spaced up to 1/η, the method's bound.</summary>
    public IReadOnlyList<double> TuningDecays { get; init; } = [0, 1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1, 3, 10];
    /// <summary>The L1 baseline's grid of strengths α (penalty α·‖w‖₁).</summary>
    public IReadOnlyList<double> TuningL1Strengths { get; init; } = [0, 1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1];
    /// <summary>The baselines' grid of step counts (early stopping at the best checkpoint); the method takes <see cref="SampleSettings.Steps"/>.</summary>
    public IReadOnlyList<int> TuningSteps { get; init; } = [100, 300, 1000, 3000];
}

/// <summary>SOBA's step schedule: iteration t's steps (w, z and the decays) are scaled by 1/(t + 1)^a, a = StepExponent.</summary>
public enum SobaSchedule
{
    /// <summary>a = 0 (<see cref="ConstantStepSingleLoopDecayTuning"/>).</summary>
    Constant,
    /// <summary>a = 0.5 (<see cref="SingleLoopDecayTuning"/>).</summary>
    InverseSqrt,
}

/// <summary>Validation and test loss of one way of choosing the decays.</summary>
/// <param name="ValidationBefore">
/// The double-loop methods' validation loss after the first inner steps with every decay 1; null for a baseline and for SOBA,
/// whose decays move from its first step.
/// </param>
/// <param name="OuterLosses">The validation loss after every <see cref="SampleSettings.UnrollSteps"/> inner steps (SOBA's too), empty for a baseline.</param>
/// <param name="Choice">What the grid search chose (a baseline's, SOBA's), or the double-loop methods' fixed settings.</param>
public sealed record DecayOutcome(string Name, double? ValidationBefore, double ValidationAfter, double TestAfter, TimeSpan Elapsed,
    IReadOnlyList<double> OuterLosses, string Choice);

/// <summary>Runs the three hypergradient methods and the tuned baselines, then writes the plot and the table.</summary>
public static class WeightDecaySample
{
    /// <summary>The tuned single-decay baseline's row name.</summary>
    public const string SharedDecay = "best single shared decay";
    /// <summary>The tuned L1 baseline's row name.</summary>
    public const string L1 = "L1 logistic regression";
    /// <summary>The oracle row's name (synthetic data only): trained on the informative features alone.</summary>
    public const string Oracle = "oracle: informative features only";
    /// <summary>SOBA's row name (<see cref="TuneSoba"/>).</summary>
    public const string Soba = "SOBA (single loop)";

    /// <summary>Runs <see cref="WeightDecaySettings.Seeds"/> seeds and prints (and saves) mean ± std per row.</summary>
    public static IReadOnlyList<IReadOnlyList<DecayOutcome>> RunSeeds(WeightDecaySettings settings, TextWriter? log = null)
    {
        log ??= Console.Out;
        log.WriteLine($"Baselines' grid (chosen by validation loss): SGD η ∈ {{{string.Join(", ", settings.TuningLearningRates)}}}, " +
                      $"shared decay α ∈ {{{string.Join(", ", settings.TuningDecays)}}}, L1 α ∈ {{{string.Join(", ", settings.TuningL1Strengths)}}}, " +
                      $"steps ∈ {{{string.Join(", ", settings.TuningSteps)}}} (the method: {settings.Steps} steps).");
        log.WriteLine($"SOBA's grid (chosen by validation loss): {string.Join("; ", settings.SobaSchedules.Select(schedule => $"{Describe(schedule)}, outer rate β ∈ " +
                      $"{{{string.Join(", ", settings.SobaRateFactors.Select(k => SobaRate(settings, schedule, k).ToString("G3")))}}}"))} ({settings.Steps} steps, η {settings.InnerLearningRate}).");
        var runs = new List<IReadOnlyList<DecayOutcome>>();
        for (int i = 0; i < settings.Seeds; i++)
        {
            var outcomes = Run(settings with { Seed = settings.Seed + i, OutputDirectory = null }, log);
            runs.Add(outcomes);
            foreach (var o in outcomes)
                log.WriteLine($"  seed {settings.Seed + i}: {o.Name}: validation {o.ValidationAfter:F4}, test {o.TestAfter:F4} ({o.Choice})");
        }
        if (settings.OutputDirectory is { } folder) Save(runs, settings, folder, log);
        return runs;
    }

    /// <summary>Runs one seed and returns one outcome per row of the results table.</summary>
    public static IReadOnlyList<DecayOutcome> Run(WeightDecaySettings settings, TextWriter? log = null)
    {
        log ??= Console.Out;
        manual_seed(settings.Seed);
        var data = settings.CsvPath is { } csv
            ? LogisticData.FromCsv(csv, settings.TargetColumn, settings.Seed)
            : LogisticData.Synthetic(settings.Count, settings.Features, settings.Seed, settings.Informative, settings.Noise);
        log.WriteLine($"Per-weight decay, seed {settings.Seed}: {data.TrainX.shape[0]} training, {data.ValidationX.shape[0]} validation, {data.TestX.shape[0]} test examples, " +
                      $"{data.Features} features; {settings.OuterSteps} outer steps of {settings.UnrollSteps} inner SGD steps.");

        var outcomes = new List<DecayOutcome>
        {
            Tune("Nyström (rank 10)", new NystromDecayTuning(data.Features), data, settings, log),
            Tune("conjugate gradient", new ConjugateGradientDecayTuning(data.Features), data, settings, log),
            Tune("reverse mode", new ReverseModeDecayTuning(data.Features), data, settings, log),
            TuneSoba(data, settings, log),
        };
        log.WriteLine("Tuning the baselines on the validation set...");
        outcomes.Add(Baseline(SharedDecay, data, Penalty.SharedDecay, settings.TuningDecays, settings, features: null));
        outcomes.Add(Baseline(L1, data, Penalty.L1, settings.TuningL1Strengths, settings, features: null));
        // The generator puts the signal in the leading features; a user's CSV file has no known true features.
        if (settings.CsvPath is null)
            outcomes.Add(Baseline(Oracle, data, Penalty.SharedDecay, settings.TuningDecays, settings, features: Math.Min(settings.Informative, data.Features)));

        if (settings.OutputDirectory is { } folder) Save([outcomes], settings, folder, log);
        return outcomes;
    }

    static DecayOutcome Tune<TProblem>(string name, TProblem problem, LogisticData data, WeightDecaySettings settings, TextWriter log)
        where TProblem : DecayTuning, IBilevelProblemClass<(Tensor x, Tensor y), (Tensor x, Tensor y)>
    {
        var bar = new ConsoleProgressBar(name, settings.Steps, log == Console.Out ? null : log);
        var clock = Stopwatch.StartNew();
        var run = Solve(problem, data, settings, settings.OuterLearningRate, bar, done: 0);
        Warn(name, run, log);
        using var noGrad = no_grad();
        return new DecayOutcome(name,
            ValidationBefore: run.OuterLosses[0],
            ValidationAfter: problem.ValidationLoss(data.ValidationX, data.ValidationY).item<float>(),
            TestAfter: problem.ValidationLoss(data.TestX, data.TestY).item<float>(),
            clock.Elapsed, run.OuterLosses,
            $"η {settings.InnerLearningRate}, {settings.Steps} steps (fixed)");
    }

    /// <summary>
    /// SOBA at every point of its grid (<see cref="WeightDecaySettings.SobaRateFactors"/> × <see cref="WeightDecaySettings.SobaSchedules"/>),
    /// the point with the lowest validation loss kept, then scored on the test set; the time is the whole grid's.
    /// </summary>
    public static DecayOutcome TuneSoba(LogisticData data, WeightDecaySettings settings, TextWriter log)
    {
        var grid = settings.SobaSchedules.SelectMany(schedule => settings.SobaRateFactors.Select(k => (schedule, rate: SobaRate(settings, schedule, k)))).ToList();
        var bar = new ConsoleProgressBar(Soba + " grid", grid.Count * settings.Steps, log == Console.Out ? null : log);
        var clock = Stopwatch.StartNew();
        (DecayTuning Problem, BilevelRunResult Run, double Validation, string Choice)? best = null;
        for (int i = 0; i < grid.Count; i++)
        {
            var (schedule, rate) = grid[i];
            (DecayTuning, BilevelRunResult) RunAt<TProblem>(TProblem problem) where TProblem : DecayTuning, IBilevelProblemClass<(Tensor x, Tensor y), (Tensor x, Tensor y)> =>
                (problem, Solve(problem, data, settings, rate, bar, done: i * settings.Steps));
            var (problem, run) = schedule == SobaSchedule.Constant
                ? RunAt(new ConstantStepSingleLoopDecayTuning(data.Features))
                : RunAt(new SingleLoopDecayTuning(data.Features));
            double validation;
            using (no_grad()) validation = problem.ValidationLoss(data.ValidationX, data.ValidationY).item<float>();
            if (best is null || validation < best.Value.Validation) best = (problem, run, validation, $"β {rate:G3}, {Describe(schedule)}");
        }
        var (chosen, chosenRun, validationLoss, choice) = best ?? throw new ArgumentException("SOBA's grid is empty: give at least one rate factor and one schedule.");
        Warn($"{Soba}, {choice}", chosenRun, log);
        // The losses after every UnrollSteps inner steps: the points of the double-loop methods' curves.
        var losses = chosenRun.OuterLosses.Where((_, t) => t > 0 && t % settings.UnrollSteps == 0).Take(settings.OuterSteps).ToList();
        using var noGrad = no_grad();
        return new DecayOutcome(Soba, null, validationLoss, chosen.ValidationLoss(data.TestX, data.TestY).item<float>(), clock.Elapsed, losses,
            $"η {settings.InnerLearningRate}, {settings.Steps} steps, {choice}");
    }

    /// <summary>
    /// SOBA's outer rate β for a grid factor k: k times the rate whose steps, scaled by the schedule 1/(t + 1)^a over SOBA's Steps
    /// iterations, add up to the double-loop methods' OuterSteps × OuterLearningRate.
    /// </summary>
    public static double SobaRate(WeightDecaySettings settings, SobaSchedule schedule, double factor)
    {
        double exponent = schedule == SobaSchedule.Constant ? 0 : 0.5;
        double sum = Enumerable.Range(1, settings.Steps).Sum(t => Math.Pow(t, -exponent));
        return factor * settings.OuterSteps * settings.OuterLearningRate / sum;
    }

    static string Describe(SobaSchedule schedule) => schedule == SobaSchedule.Constant ? "constant steps" : "steps ∝ 1/√(t + 1)";

    /// <summary>Runs the problem's generated Run for <see cref="SampleSettings.Steps"/> inner steps, reporting to <paramref name="bar"/> from step <paramref name="done"/>.</summary>
    static BilevelRunResult Solve<TProblem>(TProblem problem, LogisticData data, WeightDecaySettings settings, double outerRate, ConsoleProgressBar bar, int done)
        where TProblem : DecayTuning, IBilevelProblemClass<(Tensor x, Tensor y), (Tensor x, Tensor y)>
    {
        if (settings.InnerLearningRate * Math.Exp(DecayTuning.MaxLogDecay) > 1 + 1e-12)
            throw new ArgumentException($"The decays are bounded for η = {DecayTuning.InnerLearningRate} (η·λ ≤ 1); with η = {settings.InnerLearningRate} lower DecayTuning.MaxLogDecay to log(1/η).");
        // A joint method (SOBA) takes an outer step at every one of the Steps inner steps; it has no unroll length.
        bool joint = problem.BilevelProblem.Settings.IsJoint;
        var run = problem.Run(
            BatchSource.FullBatch(data.TrainX, data.TrainY),
            BatchSource.FullBatch(data.ValidationX, data.ValidationY),
            new BilevelOptions
            {
                Steps = settings.Steps,
                UnrollSteps = joint ? null : settings.UnrollSteps,
                InnerOptimizer = new DifferentiableSgd(settings.InnerLearningRate),
                // [Outer(Max = MaxLogDecay)] keeps every decay ≤ 1/η, so the inner SGD step stays stable (hypergrad's example clamps too).
                OuterOptimizer = optim.SGD(new[] { problem.LogDecay }, outerRate, momentum: settings.OuterMomentum),
            },
            new SynchronousProgress<BilevelProgress>(p => bar.Report(done + p.Step, $"validation loss {p.OuterLoss:F4}")));
        bar.Report(done + settings.Steps, $"validation loss {run.OuterLosses[^1]:F4}");
        return run;
    }

    static void Warn(string name, BilevelRunResult run, TextWriter log)
    {
        if (run.OuterStepsNotConverged > 0 && !double.IsNaN(run.WorstRelativeResidual))
            log.WriteLine($"Warning ({name}): the hypergradient missed its tolerance at {run.OuterStepsNotConverged} of {run.OuterSteps} outer steps (worst relative residual {run.WorstRelativeResidual:E1}).");
        foreach (var w in run.Warnings) log.WriteLine($"Warning ({name}, {w.Count} outer steps): {w.FirstMessage}");
    }

    /// <summary>
    /// A baseline tuned on the validation set (strength and early stopping), then scored on the test set;
    /// <paramref name="features"/> keeps only the leading features (the oracle), null all of them.
    /// </summary>
    static DecayOutcome Baseline(string name, LogisticData data, Penalty penalty, IReadOnlyList<double> strengths, WeightDecaySettings settings, int? features)
    {
        var clock = Stopwatch.StartNew();
        Tensor Keep(Tensor x) => features is int k ? x[.., ..k] : x;
        var choice = TunedBaseline.Tune(Keep(data.TrainX), data.TrainY, Keep(data.ValidationX), data.ValidationY, penalty, settings.TuningLearningRates, strengths, settings.TuningSteps);
        using var model = TunedBaseline.Train(Keep(data.TrainX), data.TrainY, penalty, choice.Strength, choice.LearningRate, [choice.Steps]);
        using var noGrad = no_grad();
        return new DecayOutcome(name, null, choice.ValidationLoss, Logistic.Loss(model, Keep(data.TestX), data.TestY).item<float>(),
            clock.Elapsed, Array.Empty<double>(), choice.ToString());
    }

    static void Save(IReadOnlyList<IReadOnlyList<DecayOutcome>> runs, WeightDecaySettings settings, string folder, TextWriter log)
    {
        var first = runs[0];
        // Against inner steps: SOBA's outer steps are every inner step, the double-loop methods' every UnrollSteps.
        var plot = new CurvePlot($"Per-weight decay: validation loss during tuning (seed {settings.Seed})", "inner SGD steps", "validation loss (BCE)");
        foreach (var o in first.Where(o => o.OuterLosses.Count > 0))
            plot.Line(o.Name, Enumerable.Range(1, o.OuterLosses.Count).Select(i => (double)(i * settings.UnrollSteps)), o.OuterLosses);
        foreach (var baseline in first.Where(o => o.OuterLosses.Count == 0))
            plot.Reference(baseline.Name, baseline.ValidationAfter);
        var png = plot.Save(Path.Combine(folder, "weight-decay.png"));

        var table = new ResultsTable("decays chosen by", $"validation loss before ({runs.Count} seeds)", "validation loss after", "test loss after",
            $"chosen (seed {settings.Seed})", "time per seed");
        for (int r = 0; r < first.Count; r++)
        {
            int row = r;
            table.Add(first[row].Name,
                first[row].ValidationBefore is null ? "—" : SeedStatistics.MeanStd(runs.Select(x => x[row].ValidationBefore!.Value), "F3"),
                SeedStatistics.MeanStd(runs.Select(x => x[row].ValidationAfter), "F3"),
                SeedStatistics.MeanStd(runs.Select(x => x[row].TestAfter), "F3"),
                first[row].Choice,
                $"{runs.Average(x => x[row].Elapsed.TotalSeconds):F1} s");
        }
        var md = table.PrintAndSave(Path.Combine(folder, "weight-decay.md"));
        log.WriteLine($"\nWrote {png} and {md}.");
    }
}
