using DatasetDistillation;
using Xunit;

namespace Hypergrad.Samples.Tests;

public class DatasetDistillationTests
{
    [Fact]
    public void Distilled_images_with_a_learned_step_size_beat_tuned_random_real_images_by_ten_points()
    {
        // The README run shortened: 10,000 training and 2000 validation images, 40 outer steps instead of 300, 2000 test
        // images, 5 random draws, the converged reference cut to 5 epochs. The baselines still choose η on validation.
        var settings = new DistillationSettings
        {
            OuterSteps = 40, TrainCount = 10000, ValidationCount = 2000, TestCount = 2000, BaselineDraws = 5, OutputDirectory = null,
            LearningRateGrid = [0.03, 0.1, 0.3, 1, 3], ConvergedLearningRateGrid = [0.3, 1], ConvergedEpochs = [1, 2, 5],
        };

        var report = DistillationSample.Run(settings, TextWriter.Null);

        Assert.Equal(settings.OuterSteps, report.Curve.Count);
        Assert.True(report.Curve[^1] > report.Curve[0], $"accuracy {report.Curve[0]:P1} -> {report.Curve[^1]:P1}");
        Assert.Equal(settings.BaselineDraws, report.RandomDraws.Count);
        // The README's 3 seeds show a margin of about 30 points at 300 outer steps; 10 points at 40 is robust.
        Assert.True(report.Distilled.TestAccuracy > report.RandomReal.TestAccuracy + 0.10,
            $"distilled {report.Distilled.TestAccuracy:P1} vs tuned random real images {report.RandomReal.TestAccuracy:P1}");
        // The step size is learned: from 0.1 the hypergradient asks for larger steps (η grows at every seed of the README run).
        Assert.True(report.LearnedLearningRate > 1.1 * settings.InitialLearningRate, $"learned η {report.LearnedLearningRate:G3}");
        // A tuned classifier trained to convergence on all training images beats 30 steps on them.
        Assert.True(report.Converged.TestAccuracy > report.AllReal.TestAccuracy,
            $"converged {report.Converged.TestAccuracy:P1} vs 30 steps {report.AllReal.TestAccuracy:P1}");
    }
}
