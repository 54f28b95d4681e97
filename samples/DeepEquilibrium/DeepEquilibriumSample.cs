using System.Diagnostics;
using Hypergrad;
using Hypergrad.Data;
using Hypergrad.Solving;
using Hypergrad.Samples;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepEquilibrium;

/// <summary>The sample's knobs; the defaults are the README run.</summary>
public sealed record DeepEquilibriumSettings : SampleSettings
{
    /// <summary>The README run: 3000 training steps (10 passes over the data); the unrolled baseline backpropagates through 30 iterations.</summary>
    public DeepEquilibriumSettings() { OuterSteps = 3000; UnrollSteps = 30; }

    /// <summary>Training images, drawn at random from Fashion-MNIST's 60,000.</summary>
    public int TrainCount { get; init; } = 60000;
    /// <summary>Test images (of Fashion-MNIST's 10,000).</summary>
    public int TestCount { get; init; } = 10000;
    /// <summary>Images per training step.</summary>
    public int BatchSize { get; init; } = 200;
    /// <summary>Size of the equilibrium state z.</summary>
    public int Hidden { get; init; } = 100;
    /// <summary>γ: f is a γ-contraction in z.</summary>
    public double Contraction { get; init; } = 0.9;
    /// <summary>Adam's step size (every model).</summary>
    public double LearningRate { get; init; } = 2e-3;
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

/// <summary>One trained model, measured on the test images.</summary>
/// <param name="Model">Which network and how its gradient was computed.</param>
/// <param name="TestAccuracy">Fraction of test images classified correctly.</param>
/// <param name="Residual">‖f(z) − z‖/‖z‖ of the state the model classifies from, over the test images.</param>
/// <param name="Iterations">Applications of f per image at test time.</param>
/// <param name="Elapsed">Training time.</param>
/// <param name="GradientMemory">Peak native memory of one gradient computation on one training batch (bytes; null where it cannot be measured).</param>
/// <param name="Curve">(step, test accuracy on the curve subset) during training.</param>
public sealed record EquilibriumOutcome(string Model, double TestAccuracy, double Residual, int Iterations, TimeSpan Elapsed, long? GradientMemory,
    IReadOnlyList<(int Step, double Accuracy)> Curve);

/// <summary>What the run measured.</summary>
/// <param name="Rows">The DEQ trained implicitly first, then the unrolled depth-K network, then the MLP.</param>
/// <param name="MeanForwardIterations">Mean forward fixed-point iterations per training step of the DEQ.</param>
/// <param name="MeanBackwardIterations">Mean iterations of the backward linear solve per training step.</param>
/// <param name="MaxBackwardResidual">Largest final relative residual of the backward solve over training.</param>
public sealed record EquilibriumReport(IReadOnlyList<EquilibriumOutcome> Rows, double MeanForwardIterations, double MeanBackwardIterations, double MaxBackwardResidual);

/// <summary>Trains the DEQ implicitly and the two baselines on the same batches, then writes the plot and the table.</summary>
public static class DeepEquilibriumSample
{
    /// <summary>Runs everything.</summary>
    public static EquilibriumReport Run(DeepEquilibriumSettings settings, TextWriter? log = null)
    {
        log ??= Console.Out;
        var data = EquilibriumData.Load(settings.DataDirectory, settings.TrainCount, settings.TestCount, settings.Seed);
        log.WriteLine($"Deep equilibrium model on Fashion-MNIST: {settings.TrainCount} training images, {settings.TestCount} test images, " +
                      $"{settings.Hidden} equilibrium units, γ = {settings.Contraction}, {settings.TrainingSteps} steps of {settings.BatchSize} images.");

        var (deq, forwardIterations, backwardIterations, backwardResidual) = TrainImplicit(data, settings, log);
        var rows = new List<EquilibriumOutcome>
        {
            deq,
            TrainUnrolled($"same network, {settings.UnrolledDepth} iterations, backprop through them", settings.UnrolledDepth, data, settings, log),
            TrainUnrolled("same network, 1 iteration (an MLP)", 1, data, settings, log),
        };
        var report = new EquilibriumReport(rows, forwardIterations, backwardIterations, backwardResidual);
        log.WriteLine($"DEQ training: {forwardIterations:F1} forward and {backwardIterations:F1} backward iterations per step on average; " +
                      $"largest backward residual {backwardResidual:G2}.");

        if (settings.OutputDirectory is { } folder) Save(report, folder, log);
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

    static (EquilibriumOutcome, double, double, double) TrainImplicit(EquilibriumData data, DeepEquilibriumSettings settings, TextWriter log)
    {
        var network = NewNetwork(data, settings);
        var training = Training(network, settings.BatchSize, settings.Backward);
        using var optimizer = optim.Adam(network.parameters(), settings.LearningRate);
        var bar = new ConsoleProgressBar("DEQ (implicit)", settings.TrainingSteps, log == Console.Out ? null : log);
        var curve = new List<(int, double)>();
        double forwardSum = 0, backwardSum = 0, backwardMax = 0;
        var clock = Stopwatch.StartNew();
        // The generated Run: one batch per step, its equilibrium, the implicit gradient there, an Adam step.
        training.Run(Batches(data, settings), new BilevelOptions
        {
            Steps = settings.TrainingSteps,
            OuterOptimizer = optimizer,
            AfterOuterStep = step =>
            {
                forwardSum += step.EquilibriumIterations;
                backwardSum += step.Iterations;
                backwardMax = Math.Max(backwardMax, step.RelativeResidual);
                if (step.Step % settings.EvaluationInterval == 0 || step.Step == settings.TrainingSteps)
                    curve.Add((step.Step, CurveAccuracy(data, settings,
                        x => network.Logits(network.Solve(x, EquilibriumTraining.ForwardIterations, EquilibriumTraining.ForwardTolerance).State))));
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
        var equilibrium = network.Solve(data.TestX, EquilibriumTraining.ForwardIterations, EquilibriumTraining.ForwardTolerance);
        double accuracy;
        using (no_grad()) accuracy = PlainTraining.Accuracy(network.Logits(equilibrium.State), data.TestY);
        var outcome = new EquilibriumOutcome($"DEQ, implicit gradient ({settings.Backward})", accuracy, equilibrium.RelativeResidual, equilibrium.Iterations, elapsed, memory, curve);
        int steps = settings.TrainingSteps;
        return (outcome, forwardSum / steps, backwardSum / steps, backwardMax);
    }

    static EquilibriumOutcome TrainUnrolled(string name, int depth, EquilibriumData data, DeepEquilibriumSettings settings, TextWriter log)
    {
        var network = NewNetwork(data, settings);
        using var optimizer = optim.Adam(network.parameters(), settings.LearningRate);
        var bar = new ConsoleProgressBar(depth == 1 ? "MLP" : $"unrolled (K = {depth})", settings.TrainingSteps, log == Console.Out ? null : log);
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
        Tensor state;
        using (no_grad()) state = network.Unroll(data.TestX, depth);
        return new EquilibriumOutcome(name, accuracy, network.RelativeResidual(data.TestX, state), depth, elapsed, memory, curve);
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

    static void Save(EquilibriumReport report, string folder, TextWriter log)
    {
        var plot = new CurvePlot("Deep equilibrium model on Fashion-MNIST", "training step", "test accuracy");
        foreach (var row in report.Rows)
            plot.Line(row.Model, row.Curve.Select(p => (double)p.Step), row.Curve.Select(p => p.Accuracy));
        var png = plot.Save(Path.Combine(folder, "deep-equilibrium.png"), ScottPlot.Alignment.LowerRight);

        var table = new ResultsTable("model", "test accuracy", "‖f(z) − z‖ / ‖z‖", "iterations of f", "memory of one gradient", "training time");
        foreach (var row in report.Rows)
            table.Add(row.Model, $"{row.TestAccuracy:P1}", $"{row.Residual:G2}", $"{row.Iterations}",
                row.GradientMemory is { } bytes ? $"{bytes / 1048576.0:F1} MB" : "n/a", $"{row.Elapsed.TotalSeconds:F1} s");
        var md = table.PrintAndSave(Path.Combine(folder, "deep-equilibrium.md"));
        log.WriteLine($"\nWrote {png} and {md}.");
    }
}
