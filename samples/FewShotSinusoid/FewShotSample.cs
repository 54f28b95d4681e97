using System.Diagnostics;
using Hypergrad.Optimizers;
using Hypergrad.Samples;
using Hypergrad.Solving;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FewShotSinusoid;

/// <summary>The sample's knobs; the defaults are the README run.</summary>
public sealed record FewShotSettings : SampleSettings
{
    /// <summary>The README run: 6000 tasks (outer steps), 10 adaptation steps each.</summary>
    public FewShotSettings() { OuterSteps = 6000; UnrollSteps = 10; Seed = 0; }

    /// <summary>Support points per task (K-shot).</summary>
    public int Shots { get; init; } = 10;
    /// <summary>Query points per training task.</summary>
    public int Queries { get; init; } = 10;
    /// <summary>Step size of the adaptation's gradient steps.</summary>
    public double AdaptationLearningRate { get; init; } = 0.01;
    /// <summary>iMAML's proximal strength λ.</summary>
    public double Proximal { get; init; } = 1.0;
    /// <summary>Adam step size on the initialization.</summary>
    public double MetaLearningRate { get; init; } = 1e-3;
    /// <summary>Held-out tasks the methods are compared on.</summary>
    public int TestTasks { get; init; } = 200;
}

/// <summary>Mean query error after adaptation on the held-out tasks, for one initialization.</summary>
public sealed record FewShotOutcome(string Name, double QueryLoss, TimeSpan Elapsed, IReadOnlyList<double> MetaTrainingLosses);

/// <summary>Meta-trains with iMAML and MAML, compares with no meta-learning, writes the plot and the table.</summary>
public static class FewShotSample
{
    /// <summary>Runs everything; iMAML first, then MAML, then the baselines.</summary>
    public static IReadOnlyList<FewShotOutcome> Run(FewShotSettings settings, TextWriter? log = null)
    {
        log ??= Console.Out;
        log.WriteLine($"Few-shot sinusoid regression: {settings.Shots}-shot tasks, {settings.UnrollSteps} adaptation steps, " +
                      $"{settings.OuterSteps} meta-training tasks, {settings.TestTasks} held-out tasks.");

        // Every network starts from the same random initialization (same seed before each is created).
        manual_seed(settings.Seed);
        var imaml = new ImplicitMaml(settings.Proximal);
        manual_seed(settings.Seed);
        var maml = new Maml();
        var outcomes = new List<FewShotOutcome>
        {
            MetaTrain("iMAML (implicit, CG)", imaml, settings, log),
            MetaTrain("MAML (reverse mode)", maml, settings, log),
        };
        var clock = Stopwatch.StartNew();
        manual_seed(settings.Seed);
        var random = SinusoidNetwork.Create();
        outcomes.Add(new FewShotOutcome("random (no meta-learning)", Evaluate(random, proximal: 0, settings), clock.Elapsed, Array.Empty<double>()));
        clock.Restart();
        var pretrained = Pretrain(settings);
        outcomes.Add(new FewShotOutcome("pretrained on all tasks jointly", Evaluate(pretrained, proximal: 0, settings), clock.Elapsed, Array.Empty<double>()));

        if (settings.OutputDirectory is { } folder) Save(outcomes, folder, log);
        return outcomes;
    }

    static FewShotOutcome MetaTrain(string name, MetaLearning problem, FewShotSettings settings, TextWriter log)
    {
        var stream = new TaskStream(new SinusoidTasks(settings.Seed + 1), settings.Shots, settings.Queries);
        var bar = new ConsoleProgressBar(name, settings.Steps, log == Console.Out ? null : log);
        var clock = Stopwatch.StartNew();
        var run = problem.MetaTrain(stream.Support(), stream.Query(), new BilevelOptions
        {
            Steps = settings.Steps,
            UnrollSteps = settings.UnrollSteps,
            InnerOptimizer = new DifferentiableSgd(settings.AdaptationLearningRate),
            OuterOptimizer = optim.Adam(problem.Initialization.parameters(), settings.MetaLearningRate),
            // Each outer step is one task; Run then resets the adapted network to the updated initialization.
            AfterOuterStep = _ => stream.Advance(),
        }, new SynchronousProgress<BilevelProgress>(p => bar.Report(p.Step, $"query loss {p.OuterLoss:F3}")));
        var loss = Evaluate(problem.Initialization, problem.Proximal, settings);
        bar.Report(settings.Steps, $"held-out query loss {loss:F3}");
        return new FewShotOutcome(name, loss, clock.Elapsed, run.OuterLosses);
    }

    /// <summary>
    /// Mean query MSE over the held-out tasks after adapting a copy of <paramref name="initialization"/> with the
    /// training's own adaptation (the same steps, step size and proximal term), on 100 query points per task.
    /// </summary>
    static double Evaluate(Sequential initialization, double proximal, FewShotSettings settings)
    {
        var tasks = new SinusoidTasks(settings.Seed + 1_000_000);
        var adapted = SinusoidNetwork.Create();
        double total = 0;
        for (int t = 0; t < settings.TestTasks; t++)
        {
            using var scope = NewDisposeScope();
            var task = tasks.Next(settings.Shots, 100);
            SinusoidNetwork.CopyInto(initialization, adapted);
            using var optimizer = optim.SGD(adapted.parameters(), settings.AdaptationLearningRate);
            for (int step = 0; step < settings.UnrollSteps; step++)
            {
                optimizer.zero_grad();
                var loss = nn.functional.mse_loss(adapted.call(task.SupportX), task.SupportY);
                if (proximal > 0) loss += 0.5 * proximal * SinusoidNetwork.SquaredDistance(adapted, initialization);
                loss.backward();
                optimizer.step();
            }
            using var noGrad = no_grad();
            total += nn.functional.mse_loss(adapted.call(task.QueryX), task.QueryY).ToDouble();
        }
        return total / settings.TestTasks;
    }

    /// <summary>
    /// The usual baseline of MAML's paper: one network trained on the tasks' points jointly (as many tasks as
    /// meta-training saw, Adam with the same step size), then adapted like the meta-learned ones.
    /// </summary>
    static Sequential Pretrain(FewShotSettings settings)
    {
        manual_seed(settings.Seed);
        var network = SinusoidNetwork.Create();
        using var optimizer = optim.Adam(network.parameters(), settings.MetaLearningRate);
        var tasks = new SinusoidTasks(settings.Seed + 1);
        for (int step = 0; step < settings.OuterSteps; step++)
        {
            using var scope = NewDisposeScope();
            var task = tasks.Next(settings.Shots, settings.Queries);
            optimizer.zero_grad();
            nn.functional.mse_loss(network.call(cat(new[] { task.SupportX, task.QueryX })), cat(new[] { task.SupportY, task.QueryY })).backward();
            optimizer.step();
        }
        return network;
    }

    static void Save(IReadOnlyList<FewShotOutcome> outcomes, string folder, TextWriter log)
    {
        var plot = new CurvePlot("Few-shot sinusoid regression: meta-training", "meta-training task", "query MSE after adaptation (mean of last 100 tasks)");
        foreach (var o in outcomes.Where(o => o.MetaTrainingLosses.Count > 0))
        {
            var smooth = MovingAverage(o.MetaTrainingLosses, 100);
            plot.Line(o.Name, Enumerable.Range(1, smooth.Count).Select(i => (double)i), smooth);
        }
        foreach (var o in outcomes.Where(o => o.MetaTrainingLosses.Count == 0))
            plot.Reference($"{o.Name} (held-out)", o.QueryLoss);
        var png = plot.Save(Path.Combine(folder, "few-shot-sinusoid.png"));

        var table = new ResultsTable("initialization", "held-out query MSE after adaptation", "time");
        foreach (var o in outcomes) table.Add(o.Name, $"{o.QueryLoss:F3}", $"{o.Elapsed.TotalSeconds:F1} s");
        var md = table.PrintAndSave(Path.Combine(folder, "few-shot-sinusoid.md"));
        log.WriteLine($"\nWrote {png} and {md}.");
    }

    static List<double> MovingAverage(IReadOnlyList<double> values, int window)
    {
        var result = new List<double>(values.Count);
        double sum = 0;
        for (int i = 0; i < values.Count; i++)
        {
            sum += values[i];
            if (i >= window) sum -= values[i - window];
            result.Add(sum / Math.Min(i + 1, window));
        }
        return result;
    }
}
