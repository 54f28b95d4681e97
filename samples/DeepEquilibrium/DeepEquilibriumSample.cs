using System.Diagnostics;
using Hypergrad;
using Hypergrad.Data;
using Hypergrad.Implicit;
using Hypergrad.Solving;
using Hypergrad.Samples;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepEquilibrium;

/// <summary>The sample's knobs; the defaults are the README run.</summary>
public sealed record DeepEquilibriumSettings : SampleSettings
{
    /// <summary>The README run: 3000 training steps (about 11 passes over the data); the unrolled baseline backpropagates through 30 iterations.</summary>
    public DeepEquilibriumSettings() { OuterSteps = 3000; UnrollSteps = 30; }

    /// <summary>Training images, drawn at random from Fashion-MNIST's 60,000.</summary>
    public int TrainCount { get; init; } = 55000;
    /// <summary>Validation images (the rest of Fashion-MNIST's training split): they choose the MLP's step size.</summary>
    public int ValidationCount { get; init; } = 5000;
    /// <summary>Test images (of Fashion-MNIST's 10,000): reported only.</summary>
    public int TestCount { get; init; } = 10000;
    /// <summary>Images per training step.</summary>
    public int BatchSize { get; init; } = 200;
    /// <summary>Size of the equilibrium state z.</summary>
    public int Hidden { get; init; } = 100;
    /// <summary>γ: f is a γ-contraction in z.</summary>
    public double Contraction { get; init; } = 0.9;
    /// <summary>Adam's step size of the DEQ and of the unrolled network (fixed, not tuned).</summary>
    public double LearningRate { get; init; } = 2e-3;
    /// <summary>The MLP's step sizes; the one with the best validation accuracy after training is reported.</summary>
    public IReadOnlyList<double> MlpLearningRates { get; init; } = [5e-4, 2e-3, 8e-3];
    /// <summary>Seeds run by <see cref="DeepEquilibriumSample.RunSeeds"/>: <see cref="SampleSettings.Seed"/>, Seed + 1, ….</summary>
    public int Seeds { get; init; } = 3;
    /// <summary>
    /// How the backward system (I − Jᵀ) x = v is solved: <see cref="Method.FixedPoint"/> (x ← Jᵀx + v, one
    /// vector–Jacobian product per iteration; converges because f is a contraction) or
    /// <see cref="Method.ConjugateGradientNormal"/> (CG on the normal equations, two products per iteration), i.e.
    /// <see cref="FixedPointTraining"/> or <see cref="NormalEquationsTraining"/>. J is not symmetric, so plain CG does
    /// not apply (HG0020). The tolerances are <see cref="EquilibriumTraining"/>'s constants.
    /// </summary>
    public Method Backward { get; init; } = Method.FixedPoint;
    /// <summary>Test accuracy is recorded for the plot every this many steps (on the first <see cref="CurveTestCount"/> test images).</summary>
    public int EvaluationInterval { get; init; } = 150;
    /// <summary>Test images used for the plotted curves (the table uses all <see cref="TestCount"/>).</summary>
    public int CurveTestCount { get; init; } = 2000;
    /// <summary>Folder with Fashion-MNIST's IDX files; Debian's location when null.</summary>
    public string? DataDirectory { get; init; }

    /// <summary>Training steps (parameter updates): the common option <c>--outer-steps</c>.</summary>
    public int TrainingSteps => OuterSteps;
    /// <summary>Depth K of the unrolled baseline: the common option <c>--unroll-steps</c>.</summary>
    public int UnrolledDepth => UnrollSteps;
}

/// <summary>One trained model, measured on the validation and test images.</summary>
/// <param name="Model">Which network and how its gradient was computed.</param>
/// <param name="TestAccuracy">Fraction of test images classified correctly.</param>
/// <param name="ValidationAccuracy">Fraction of validation images classified correctly (what chooses the MLP's step size).</param>
/// <param name="Residual">‖f(z) − z‖/‖z‖ of the state the model classifies from, over the test images.</param>
/// <param name="Iterations">Applications of f per image at test time.</param>
/// <param name="LearningRate">Adam's step size it was trained with.</param>
/// <param name="Elapsed">Training time.</param>
/// <param name="GradientMemory">Peak native memory of one gradient computation on one training batch (bytes; null where it cannot be measured).</param>
/// <param name="Curve">(step, test accuracy on the curve subset) during training.</param>
public sealed record EquilibriumOutcome(string Model, double TestAccuracy, double ValidationAccuracy, double Residual, int Iterations, double LearningRate,
    TimeSpan Elapsed, long? GradientMemory, IReadOnlyList<(int Step, double Accuracy)> Curve);

/// <summary>How many of the DEQ's solves missed their tolerance (each is then an approximation, not the equilibrium or its gradient).</summary>
/// <param name="Forward">Training steps whose equilibrium solve stopped above its tolerance.</param>
/// <param name="Backward">Training steps whose backward linear solve stopped above its tolerance.</param>
/// <param name="Evaluation">Equilibrium solves on validation or test images (table and curve) that stopped above their tolerance.</param>
/// <param name="TrainingSteps">Training steps (one forward and one backward solve each).</param>
/// <param name="Evaluations">Equilibrium solves on validation or test images.</param>
public sealed record SolveCount(int Forward, int Backward, int Evaluation, int TrainingSteps, int Evaluations)
{
    /// <summary>All solves that missed their tolerance.</summary>
    public int NotConverged => Forward + Backward + Evaluation;

    /// <inheritdoc/>
    public override string ToString() =>
        $"forward {Forward} of {TrainingSteps}, backward {Backward} of {TrainingSteps}, evaluation {Evaluation} of {Evaluations}";
}

/// <summary>What one seed's run measured.</summary>
/// <param name="Rows">The DEQ trained implicitly first, then the unrolled depth-K network, then the MLP with its step size chosen on validation.</param>
/// <param name="MlpCandidates">Every MLP trained for the choice, one per step size.</param>
/// <param name="MeanForwardIterations">Mean forward fixed-point iterations per training step of the DEQ.</param>
/// <param name="MeanBackwardIterations">Mean iterations of the backward linear solve per training step.</param>
/// <param name="MaxBackwardResidual">Largest final relative residual of the backward solve over training.</param>
/// <param name="Solves">The DEQ's solves that missed their tolerance.</param>
/// <param name="Warnings">The warnings the DEQ's training run reported.</param>
public sealed record EquilibriumReport(IReadOnlyList<EquilibriumOutcome> Rows, IReadOnlyList<EquilibriumOutcome> MlpCandidates, double MeanForwardIterations,
    double MeanBackwardIterations, double MaxBackwardResidual, SolveCount Solves, IReadOnlyList<string> Warnings);

/// <summary>Trains the DEQ implicitly and the two baselines on the same batches, then writes the plot and the table.</summary>
public static class DeepEquilibriumSample
{
    /// <summary>Runs <see cref="DeepEquilibriumSettings.Seeds"/> seeds and prints (and saves) mean ± std per row.</summary>
    public static IReadOnlyList<EquilibriumReport> RunSeeds(DeepEquilibriumSettings settings, TextWriter? log = null)
    {
        log ??= Console.Out;
        log.WriteLine($"The MLP's Adam step size is chosen on {settings.ValidationCount} validation images from {{{string.Join(", ", settings.MlpLearningRates.Select(r => r.ToString("G3")))}}}; " +
                      $"the DEQ and the unrolled network use {settings.LearningRate:G3} (fixed).");
        var reports = new List<EquilibriumReport>();
        for (int i = 0; i < settings.Seeds; i++)
        {
            EquilibriumReport report;
            // The seed's data (hundreds of MB of native memory) and networks are freed before the next seed: the GC does not see them.
            using (NewDisposeScope())
                report = Run(settings with { Seed = settings.Seed + i }, log);
            reports.Add(report);
            foreach (var row in report.Rows)
                log.WriteLine($"  seed {settings.Seed + i}: {row.Model}: test {row.TestAccuracy:P1}, validation {row.ValidationAccuracy:P1} (η {row.LearningRate:G3})");
        }
        var solves = reports.Select(r => r.Solves).ToList();
        log.WriteLine($"DEQ solves that missed their tolerance over all seeds: {solves.Sum(s => s.NotConverged)} " +
                      $"({string.Join("; ", solves.Select((s, i) => $"seed {settings.Seed + i}: {s}"))}).");
        if (settings.OutputDirectory is { } folder) Save(reports, settings, folder, log);
        return reports;
    }

    /// <summary>Runs one seed: the DEQ, the unrolled network and the MLP (one per step size of the grid).</summary>
    public static EquilibriumReport Run(DeepEquilibriumSettings settings, TextWriter? log = null)
    {
        log ??= Console.Out;
        var data = EquilibriumData.Load(settings.DataDirectory, settings.TrainCount, settings.ValidationCount, settings.TestCount, settings.Seed);
        log.WriteLine($"Deep equilibrium model on Fashion-MNIST, seed {settings.Seed}: {settings.TrainCount} training, {settings.ValidationCount} validation, " +
                      $"{settings.TestCount} test images, {settings.Hidden} equilibrium units, γ = {settings.Contraction}, {settings.TrainingSteps} steps of {settings.BatchSize} images.");

        var (deq, forwardIterations, backwardIterations, backwardResidual, solves, warnings) = TrainImplicit(data, settings, log);
        var unrolled = TrainUnrolled($"same network, {settings.UnrolledDepth} iterations, backprop through them", settings.UnrolledDepth, settings.LearningRate, data, settings, log);
        var mlps = settings.MlpLearningRates
            .Select(rate => TrainUnrolled("same network, 1 iteration (an MLP), η chosen on validation", 1, rate, data, settings, log)).ToList();
        var mlp = mlps.MaxBy(m => m.ValidationAccuracy)!;
        log.WriteLine($"MLP: validation accuracy {string.Join(", ", mlps.Select(m => $"{m.ValidationAccuracy:P1} at η {m.LearningRate:G3}"))}; chosen η {mlp.LearningRate:G3}.");

        var report = new EquilibriumReport([deq, unrolled, mlp], mlps, forwardIterations, backwardIterations, backwardResidual, solves, warnings);
        log.WriteLine($"DEQ training: {forwardIterations:F1} forward and {backwardIterations:F1} backward iterations per step on average; " +
                      $"largest backward residual {backwardResidual:G2}; solves that missed their tolerance: {solves}.");
        foreach (var warning in warnings) log.WriteLine($"Warning: {warning}");
        return report;
    }

    /// <summary>A network initialised from the run's seed: every model starts from the same parameters.</summary>
    static EquilibriumNetwork NewNetwork(EquilibriumData data, DeepEquilibriumSettings settings)
    {
        manual_seed(settings.Seed);
        return new EquilibriumNetwork((int)data.TrainX.shape[1], settings.Hidden, EquilibriumData.Classes, settings.Contraction);
    }

    /// <summary>The DSL class that trains with <paramref name="backward"/>.</summary>
    public static IFixedPointProblemClass<(Tensor x, Tensor y)> Training(EquilibriumNetwork network, int batchSize, Method backward) => backward switch
    {
        Method.FixedPoint => new FixedPointTraining(network, batchSize),
        Method.ConjugateGradientNormal => new NormalEquationsTraining(network, batchSize),
        var other => throw new ArgumentException($"Backward must be FixedPoint or ConjugateGradientNormal (a DEQ's Jacobian is not symmetric), not {other}.", nameof(backward)),
    };

    static (EquilibriumOutcome, double, double, double, SolveCount, List<string>) TrainImplicit(EquilibriumData data, DeepEquilibriumSettings settings, TextWriter log)
    {
        var network = NewNetwork(data, settings);
        var training = Training(network, settings.BatchSize, settings.Backward);
        using var optimizer = optim.Adam(network.parameters(), settings.LearningRate);
        var bar = new ConsoleProgressBar("DEQ (implicit)", settings.TrainingSteps, log == Console.Out ? null : log);
        var curve = new List<(int, double)>();
        double forwardSum = 0, backwardSum = 0, backwardMax = 0;
        int forwardMissed = 0, backwardMissed = 0, evaluations = 0, evaluationsMissed = 0;
        Equilibrium Solve(Tensor x)
        {
            var found = network.Solve(x, EquilibriumTraining.ForwardIterations, EquilibriumTraining.ForwardTolerance);
            evaluations++;
            if (!found.Converged) evaluationsMissed++;
            return found;
        }
        var clock = Stopwatch.StartNew();
        // The generated Run: one batch per step, its equilibrium, the implicit gradient there, an Adam step.
        var result = training.Run(Batches(data, settings), new BilevelOptions
        {
            Steps = settings.TrainingSteps,
            OuterOptimizer = optimizer,
            AfterOuterStep = step =>
            {
                forwardSum += step.EquilibriumIterations;
                backwardSum += step.Iterations;
                backwardMax = Math.Max(backwardMax, step.RelativeResidual);
                if (!(step.EquilibriumResidual <= EquilibriumTraining.ForwardTolerance)) forwardMissed++;
                if (!(step.RelativeResidual <= EquilibriumTraining.BackwardTolerance)) backwardMissed++;
                if (step.Step % settings.EvaluationInterval == 0 || step.Step == settings.TrainingSteps)
                    curve.Add((step.Step, CurveAccuracy(data, settings, x => network.Logits(Solve(x).State))));
                bar.Report(step.Step, $"loss {step.OuterLoss:F3}  forward {step.EquilibriumIterations} it (residual {step.EquilibriumResidual:G2})  " +
                                      $"backward {step.Iterations} it");
            },
        });
        var elapsed = clock.Elapsed;
        var memory = MemoryFootprint.Measure(() =>
        {
            using var scope = NewDisposeScope();
            training.ComputeHypergradient(FirstBatch(data, settings)).Dispose();
        });

        using var scope = NewDisposeScope();
        var equilibrium = Solve(data.TestX);
        double accuracy, validation;
        using (no_grad())
        {
            accuracy = PlainTraining.Accuracy(network.Logits(equilibrium.State), data.TestY);
            validation = PlainTraining.Accuracy(network.Logits(Solve(data.ValidationX).State), data.ValidationY);
        }
        var outcome = new EquilibriumOutcome($"DEQ, implicit gradient ({settings.Backward})", accuracy, validation, equilibrium.RelativeResidual, equilibrium.Iterations,
            settings.LearningRate, elapsed, memory, curve);
        int steps = settings.TrainingSteps;
        var solves = new SolveCount(forwardMissed, backwardMissed, evaluationsMissed, steps, evaluations);
        var warnings = result.Warnings.Select(w => $"at {w.Count} of {result.OuterSteps} steps: {w.FirstMessage}").ToList();
        return (outcome, forwardSum / steps, backwardSum / steps, backwardMax, solves, warnings);
    }

    static EquilibriumOutcome TrainUnrolled(string name, int depth, double learningRate, EquilibriumData data, DeepEquilibriumSettings settings, TextWriter log)
    {
        var network = NewNetwork(data, settings);
        using var optimizer = optim.Adam(network.parameters(), learningRate);
        var bar = new ConsoleProgressBar(depth == 1 ? $"MLP (η {learningRate:G3})" : $"unrolled (K = {depth})", settings.TrainingSteps, log == Console.Out ? null : log);
        var curve = new List<(int, double)>();
        var clock = Stopwatch.StartNew();
        ForEachBatch(data, settings, step =>
        {
            var (x, y) = step.Batch;
            double loss = UnrolledTraining.Step(network, depth, x, y, optimizer);
            if (step.Number % settings.EvaluationInterval == 0 || step.Number == settings.TrainingSteps)
                curve.Add((step.Number, CurveAccuracy(data, settings, x => UnrolledTraining.Logits(network, depth, x))));
            bar.Report(step.Number, $"loss {loss:F3}");
        });
        var elapsed = clock.Elapsed;
        var memory = MemoryFootprint.Measure(() =>
        {
            using var scope = NewDisposeScope();
            var (x, y) = FirstBatch(data, settings);
            UnrolledTraining.Loss(network, depth, x, y).backward();
        });

        using var scope = NewDisposeScope();
        double accuracy = PlainTraining.Accuracy(UnrolledTraining.Logits(network, depth, data.TestX), data.TestY);
        double validation = PlainTraining.Accuracy(UnrolledTraining.Logits(network, depth, data.ValidationX), data.ValidationY);
        Tensor state;
        using (no_grad()) state = network.Unroll(data.TestX, depth);
        return new EquilibriumOutcome(name, accuracy, validation, network.RelativeResidual(data.TestX, state), depth, learningRate, elapsed, memory, curve);
    }

    /// <summary>The training batches, the same sequence for every model.</summary>
    static IEnumerable<(Tensor x, Tensor y)> Batches(EquilibriumData data, DeepEquilibriumSettings settings) =>
        BatchSource.Shuffled(data.TrainX, data.TrainY, settings.BatchSize, settings.Seed);

    /// <summary>One training step per batch; each step (batch drawing included) in its own dispose scope, as the generated Run does.</summary>
    static void ForEachBatch(EquilibriumData data, DeepEquilibriumSettings settings, Action<(int Number, (Tensor, Tensor) Batch)> step)
    {
        using var batches = Batches(data, settings).GetEnumerator();
        for (int number = 1; number <= settings.TrainingSteps; number++)
        {
            using var scope = NewDisposeScope();
            batches.MoveNext();
            step((number, batches.Current));
        }
    }

    static (Tensor x, Tensor y) FirstBatch(EquilibriumData data, DeepEquilibriumSettings settings) =>
        (data.TrainX.narrow(0, 0, settings.BatchSize), data.TrainY.narrow(0, 0, settings.BatchSize));

    static double CurveAccuracy(EquilibriumData data, DeepEquilibriumSettings settings, Func<Tensor, Tensor> logits)
    {
        using var scope = NewDisposeScope();
        long count = Math.Min(settings.CurveTestCount, data.TestX.shape[0]);
        using var noGrad = no_grad();
        return PlainTraining.Accuracy(logits(data.TestX.narrow(0, 0, count)), data.TestY.narrow(0, 0, count));
    }

    static void Save(IReadOnlyList<EquilibriumReport> reports, DeepEquilibriumSettings settings, string folder, TextWriter log)
    {
        var first = reports[0];
        var plot = new CurvePlot($"Deep equilibrium model on Fashion-MNIST (seed {settings.Seed})", "training step", "test accuracy");
        foreach (var row in first.Rows)
            plot.Line(row.Model, row.Curve.Select(p => (double)p.Step), row.Curve.Select(p => p.Accuracy));
        var png = plot.Save(Path.Combine(folder, "deep-equilibrium.png"), ScottPlot.Alignment.LowerRight);

        var table = new ResultsTable("model", $"test accuracy ({reports.Count} seeds)", "Adam η", "‖f(z) − z‖ / ‖z‖ (worst seed)", "iterations of f",
            "memory of one gradient", "training time per seed");
        for (int r = 0; r < first.Rows.Count; r++)
        {
            var rows = reports.Select(x => x.Rows[r]).ToList();
            var rates = rows.Select(x => x.LearningRate).Distinct().Select(x => x.ToString("G3"));
            var iterations = rows.Select(x => x.Iterations).Distinct().Order().ToList();
            table.Add(rows[0].Model,
                SeedStatistics.MeanStd(rows.Select(x => 100 * x.TestAccuracy), "F1") + " %",
                string.Join(", ", rates) + (r == 2 ? " (chosen)" : " (fixed)"),
                $"{rows.Max(x => x.Residual):G2}",
                iterations.Count == 1 ? $"{iterations[0]}" : $"{iterations[0]}–{iterations[^1]}",
                rows[0].GradientMemory is { } bytes ? $"{bytes / 1048576.0:F1} MB" : "n/a",
                $"{rows.Average(x => x.Elapsed.TotalSeconds):F1} s");
        }
        var md = table.PrintAndSave(Path.Combine(folder, "deep-equilibrium.md"));
        Console.WriteLine($"\nDEQ: {SeedStatistics.MeanStd(reports.Select(x => x.MeanForwardIterations), "F1")} forward and " +
                          $"{SeedStatistics.MeanStd(reports.Select(x => x.MeanBackwardIterations), "F1")} backward iterations per training step; " +
                          $"solves that missed their tolerance: {reports.Sum(x => x.Solves.NotConverged)}; " +
                          $"MLP validation accuracy per η (mean over seeds): " +
                          string.Join(", ", settings.MlpLearningRates.Select((rate, i) => $"{rate:G3}: {reports.Average(x => x.MlpCandidates[i].ValidationAccuracy):P1}")) + ".");
        log.WriteLine($"\nWrote {png} and {md}.");
    }
}
