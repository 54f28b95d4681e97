using WeightDecay;
using Xunit;

namespace Hypergrad.Samples.Tests;

public class WeightDecayTests
{
    [Fact]
    public void Every_method_lowers_the_validation_loss_and_beats_the_shared_decay_start()
    {
        // The README run shortened: 20 features, 200 examples, 8 outer steps of 50 inner steps.
        var settings = new WeightDecaySettings { Count = 200, Features = 20, OuterSteps = 8, UnrollSteps = 50, OutputDirectory = null };

        var outcomes = WeightDecaySample.Run(settings, TextWriter.Null);

        Assert.Equal(4, outcomes.Count);
        foreach (var tuned in outcomes.Take(3))
        {
            Assert.Equal(settings.OuterSteps, tuned.OuterLosses.Count);
            // All start from the same point (every decay 1, same data, same inner steps)...
            Assert.Equal(outcomes[0].ValidationBefore, tuned.ValidationBefore, 4);
            // ...and the tuned decays lower the validation loss clearly.
            Assert.True(tuned.ValidationAfter < 0.85 * tuned.ValidationBefore,
                $"{tuned.Name}: validation loss {tuned.ValidationBefore:F4} -> {tuned.ValidationAfter:F4}");
        }
        // The baseline's "before" is a shared decay of 1 trained the plain way: the same start.
        Assert.Equal(outcomes[0].ValidationBefore, outcomes[3].ValidationBefore, 2);
    }
}
