using FewShotSinusoid;
using Xunit;

namespace Hypergrad.Samples.Tests;

public class FewShotSinusoidTests
{
    [Fact]
    public void Meta_learned_initializations_adapt_better_than_a_random_one()
    {
        // The README run shortened: 400 meta-training tasks instead of 6000, 100 held-out tasks.
        var settings = new FewShotSettings { OuterSteps = 400, TestTasks = 100, OutputDirectory = null };

        var outcomes = FewShotSample.Run(settings, TextWriter.Null);

        var random = outcomes.Single(o => o.Name.StartsWith("random"));
        foreach (var learned in outcomes.Where(o => o.MetaTrainingLosses.Count > 0))
        {
            Assert.Equal(settings.OuterSteps, learned.MetaTrainingLosses.Count);
            Assert.True(learned.QueryLoss < 0.9 * random.QueryLoss,
                $"{learned.Name}: held-out query MSE {learned.QueryLoss:F3} vs random initialization {random.QueryLoss:F3}");
        }
        Assert.Equal(2, outcomes.Count(o => o.MetaTrainingLosses.Count > 0));
    }
}
