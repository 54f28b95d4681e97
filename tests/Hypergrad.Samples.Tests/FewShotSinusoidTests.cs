using FewShotSinusoid;
using Xunit;
using static TorchSharp.torch;

namespace Hypergrad.Samples.Tests;

public class FewShotSinusoidTests
{
    [Fact]
    public void Meta_learned_initializations_adapt_better_than_a_random_one_and_every_damped_solve_converges()
    {
        // The README run shortened: one seed, 10-shot, 40 meta-steps of 4 tasks, fewer validation and test tasks, a shorter fine-tuning grid.
        var settings = new FewShotSettings
        {
            Shots = [10], Seeds = 1, OuterSteps = 40, TasksPerMetaBatch = 4, ValidationTasks = 10, TuningSteps = [0, 2, 10, 20], TestTasks = 50, AgreementTasks = 1,
            MetaLearningRate = 0.01, OutputDirectory = null,
        };

        var report = FewShotSample.RunAll(settings, TextWriter.Null).Single();

        // The reference: the initialization θ both methods start from (same seed, same problem construction), adapted
        // as each method adapts.
        manual_seed(settings.Seed);
        var random = new Maml().Initialization;
        var test = new SinusoidTasks(settings.Seed + 2_000_000);
        var tasks = Enumerable.Range(0, settings.TestTasks).Select(_ => test.Next(10, settings.TestQueries)).ToList();
        foreach (var learned in report.Rows.Where(r => r.MetaTrainingLosses.Count > 0))
        {
            Assert.Equal(settings.OuterSteps, learned.MetaTrainingLosses.Count);
            double baseline = learned.Adaptation.QueryLoss(random, tasks);
            Assert.True(learned.QueryLoss < 0.9 * baseline,
                $"{learned.Name}: held-out query MSE {learned.QueryLoss:F3} vs the random initialization adapted the same way {baseline:F3}");
        }
        Assert.Equal(2, report.Rows.Count(r => r.MetaTrainingLosses.Count > 0));

        // The damped system is positive definite and well conditioned: every solve must meet its tolerance within the budget.
        var solves = report.Implicit;
        Assert.Equal(settings.OuterSteps * settings.TasksPerMetaBatch, solves.Tasks);
        Assert.True(solves.TasksConverged == solves.Tasks && solves.NegativeCurvature == 0, solves.Summary(settings.CgTolerance));
        Assert.Equal(solves.MetaSteps, solves.MetaStepsConverged);

        // The measurement README quotes: CG against the dense solve of the same system.
        Assert.NotNull(report.Agreement);
        Assert.True(report.Agreement!.CgVsDenseDamped > 0.998, report.Agreement.ToString());
        Assert.True(report.Agreement.ReplayMismatch < 1e-4, report.Agreement.ToString());
    }
}
