using System.Diagnostics;
using Hypergrad.Samples;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FewShotSinusoid;

/// <summary>One row of a seed's results: an initialization, how it adapts at test time, and its held-out error.</summary>
/// <param name="Adaptation">The test-time adaptation: the method's own, or the one the baseline's grid chose on validation tasks.</param>
public sealed record FewShotOutcome(string Name, double QueryLoss, TimeSpan Elapsed, Adaptation Adaptation, IReadOnlyList<double> MetaTrainingLosses);

/// <summary>What one seed's run at one shot count measured.</summary>
/// <param name="Agreement">iMAML's meta-gradient against its references (first seed only; null otherwise).</param>
public sealed record FewShotReport(int Shots, int Seed, IReadOnlyList<FewShotOutcome> Rows, SolverStatistics Implicit, SolverStatistics Unrolled,
    GradientAgreement? Agreement);

/// <summary>Meta-trains with iMAML and MAML, compares with tuned baselines, writes the plot and the tables.</summary>
public static class FewShotSample
{
    /// <summary>Row names.</summary>
    public const string Imaml = "iMAML (implicit, damped CG)", Maml = "MAML (reverse mode)",
        ImamlFineTuned = "iMAML's initialization, fine-tuned", MamlFineTuned = "MAML's initialization, fine-tuned",
        Pretrained = "pretrained on all tasks jointly, fine-tuned", Random = "random initialization, fine-tuned";

    /// <summary>Every shot count × every seed; prints (and saves) a table of mean ± std per shot count.</summary>
    public static IReadOnlyList<FewShotReport> RunAll(FewShotSettings settings, TextWriter? log = null)
    {
        log ??= Console.Out;
        log.WriteLine($"Baselines' fine-tuning grid (chosen on {settings.ValidationTasks} validation tasks): η ∈ {{{string.Join(", ", settings.TuningLearningRates)}}}, " +
                      $"steps ∈ {{{string.Join(", ", settings.TuningSteps)}}}.");
        var reports = new List<FewShotReport>();
        foreach (var shots in settings.Shots)
            for (int i = 0; i < settings.Seeds; i++)
                reports.Add(Run(settings with { Seed = settings.Seed + i }, shots, measureAgreement: i == 0, log));
        if (settings.OutputDirectory is { } folder) Save(reports, settings, folder, log);
        return reports;
    }

    /// <summary>One seed at one shot count: both methods, both baselines, the solver statistics.</summary>
    public static FewShotReport Run(FewShotSettings settings, int shots, bool measureAgreement, TextWriter log)
    {
        log.WriteLine($"\nFew-shot sinusoid regression, {shots}-shot, seed {settings.Seed}: {settings.OuterSteps} meta-steps of {settings.TasksPerMetaBatch} tasks " +
                      $"({settings.OuterSteps * settings.TasksPerMetaBatch} tasks), {settings.TestTasks} held-out test tasks.");
        var validation = Tasks(settings.Seed + 1_000_000, settings.ValidationTasks, shots, settings.TestQueries);
        var test = Tasks(settings.Seed + 2_000_000, settings.TestTasks, shots, settings.TestQueries);

        // iMAML and MAML start from the same initialization θ (the same seed before each problem is created).
        manual_seed(settings.Seed);
        var imaml = new ImplicitMaml(settings.Proximal);
        SinusoidNetwork.CopyInto(imaml.Initialization, imaml.Adapted);
        var imamlRun = MetaTraining.Implicit(imaml, settings, shots, log);
        var imamlAdaptation = new Adaptation(settings.InnerSteps, settings.InnerLearningRate, LineSearch: true);   // λ = 0 at test time, as the authors do
        var rows = new List<FewShotOutcome>
        {
            new(Imaml, imamlAdaptation.QueryLoss(imaml.Initialization, test), imamlRun.Elapsed, imamlAdaptation, imamlRun.QueryLosses),
        };
        log.WriteLine($"  iMAML: {imamlRun.Solves.Summary(settings.CgTolerance)}.");
        PrintWarnings(imamlRun.Solves, log);

        manual_seed(settings.Seed);
        var maml = new Maml();
        var mamlRun = MetaTraining.Unrolled(maml, settings, shots, log);
        var mamlAdaptation = new Adaptation(settings.MamlSteps, settings.MamlLearningRate);
        rows.Add(new(Maml, mamlAdaptation.QueryLoss(maml.Initialization, test), mamlRun.Elapsed, mamlAdaptation, mamlRun.QueryLosses));
        log.WriteLine($"  MAML: {mamlRun.Solves.Summary(settings.CgTolerance)}.");
        PrintWarnings(mamlRun.Solves, log);

        // The meta-learned initializations adapted as the baselines are (fine-tuning chosen on validation tasks):
        // separates what each initialization is worth from the adaptation its method prescribes.
        var clock = Stopwatch.StartNew();
        rows.Add(FineTuned(ImamlFineTuned, imaml.Initialization, validation, test, settings, clock, log));
        clock.Restart();
        rows.Add(FineTuned(MamlFineTuned, maml.Initialization, validation, test, settings, clock, log));
        clock.Restart();
        var pretrained = Pretrain(settings, shots);
        rows.Add(FineTuned(Pretrained, pretrained, validation, test, settings, clock, log));
        clock.Restart();
        manual_seed(settings.Seed);
        rows.Add(FineTuned(Random, SinusoidNetwork.Create(), validation, test, settings, clock, log));

        GradientAgreement? agreement = null;
        if (measureAgreement)
        {
            agreement = GradientAgreement.Measure(imaml.Initialization, Tasks(settings.Seed + 3_000_000, settings.AgreementTasks, shots, settings.Queries), settings);
            log.WriteLine($"  {agreement}.");
        }
        foreach (var row in rows) log.WriteLine($"  seed {settings.Seed}, {shots}-shot: {row.Name}: held-out query MSE {row.QueryLoss:F3} ({row.Adaptation})");
        return new FewShotReport(shots, settings.Seed, rows, imamlRun.Solves, mamlRun.Solves, agreement);
    }

    static FewShotOutcome FineTuned(string name, Sequential initialization, IReadOnlyList<RegressionTask> validation, IReadOnlyList<RegressionTask> test,
        FewShotSettings settings, Stopwatch clock, TextWriter log)
    {
        var (choice, validationLoss) = TunedFineTuning.Tune(initialization, validation, settings);
        log.WriteLine($"  {name}: chose {choice} (validation query MSE {validationLoss:F3}).");
        return new FewShotOutcome(name, choice.QueryLoss(initialization, test), clock.Elapsed, choice, Array.Empty<double>());
    }

    static void PrintWarnings(SolverStatistics statistics, TextWriter log)
    {
        foreach (var (_, (count, first)) in statistics.Warnings) log.WriteLine($"    warning ×{count}: {first}");
    }

    /// <summary>
    /// The usual baseline of MAML's paper: one network trained on the meta-training tasks' points jointly (the same
    /// number of tasks and Adam steps, a meta-batch's points per step), fine-tuned at test time like any network.
    /// </summary>
    static Sequential Pretrain(FewShotSettings settings, int shots)
    {
        manual_seed(settings.Seed);
        var network = SinusoidNetwork.Create();
        using var optimizer = optim.Adam(network.parameters(), settings.MetaLearningRate);
        var tasks = new SinusoidTasks(settings.Seed + 1);
        for (int step = 0; step < settings.OuterSteps; step++)
        {
            using var scope = NewDisposeScope();
            var batch = Enumerable.Range(0, settings.TasksPerMetaBatch).Select(_ => tasks.Next(shots, settings.Queries)).ToArray();
            var x = cat(batch.SelectMany(t => new[] { t.SupportX, t.QueryX }).ToArray());
            var y = cat(batch.SelectMany(t => new[] { t.SupportY, t.QueryY }).ToArray());
            optimizer.zero_grad();
            nn.functional.mse_loss(network.call(x), y).backward();
            optimizer.step();
        }
        return network;
    }

    static List<RegressionTask> Tasks(int seed, int count, int shots, int queries)
    {
        var source = new SinusoidTasks(seed);
        return Enumerable.Range(0, count).Select(_ => source.Next(shots, queries)).ToList();
    }

    static void Save(IReadOnlyList<FewShotReport> reports, FewShotSettings settings, string folder, TextWriter log)
    {
        var plot = new CurvePlot("Few-shot sinusoid regression: meta-training (first seed)", "meta-step",
            $"mean query MSE after adaptation ({settings.TasksPerMetaBatch} tasks per meta-step)");
        foreach (var report in reports.Where(r => r.Seed == settings.Seed))
            foreach (var row in report.Rows.Where(r => r.MetaTrainingLosses.Count > 0))
                plot.Line($"{row.Name}, {report.Shots}-shot", Enumerable.Range(1, row.MetaTrainingLosses.Count).Select(i => (double)i),
                    MovingAverage(row.MetaTrainingLosses, 10));
        var png = plot.Save(Path.Combine(folder, "few-shot-sinusoid.png"));

        var markdown = new System.Text.StringBuilder();
        foreach (var group in reports.GroupBy(r => r.Shots))
        {
            var runs = group.ToList();
            var table = new ResultsTable("initialization", $"held-out query MSE ({runs.Count} seeds)", "test-time adaptation (first seed)", "time per seed");
            for (int r = 0; r < runs[0].Rows.Count; r++)
            {
                int row = r;
                table.Add(runs[0].Rows[row].Name, SeedStatistics.MeanStd(runs.Select(x => x.Rows[row].QueryLoss), "F3"),
                    runs[0].Rows[row].Adaptation.ToString(), $"{runs.Average(x => x.Rows[row].Elapsed.TotalSeconds):F1} s");
            }
            Console.WriteLine($"\n{group.Key}-shot:");
            markdown.Append($"{group.Key}-shot:\n\n").Append(table.ToMarkdown()).Append('\n');
            Console.Write(table.ToMarkdown());
            Console.WriteLine($"iMAML's CG solves per seed: {string.Join(" | ", runs.Select(x => x.Implicit.Summary(settings.CgTolerance)))}");
            if (runs[0].Agreement is { } agreement) Console.WriteLine($"Seed {runs[0].Seed}: {agreement}.");
        }
        Directory.CreateDirectory(folder);
        var md = Path.Combine(folder, "few-shot-sinusoid.md");
        File.WriteAllText(md, markdown.ToString());
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
