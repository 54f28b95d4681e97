using DatasetDistillation;
using Xunit;

namespace Hypergrad.Samples.Tests;

public class DatasetDistillationTests
{
    [Fact]
    public void Distilled_images_train_a_better_classifier_than_the_real_images_they_started_from()
    {
        // The README run shortened: 30 outer steps instead of 300, 2000 test images, 3 baseline draws.
        var settings = new DistillationSettings { OuterSteps = 30, TestCount = 2000, BaselineDraws = 3, OutputDirectory = null };

        var report = DistillationSample.Run(settings, TextWriter.Null);

        Assert.Equal(settings.OuterSteps, report.Curve.Count);
        Assert.True(report.Distilled > report.RandomReal + 0.1,
            $"distilled {report.Distilled:P1} vs random real images {report.RandomReal:P1}");
        // The curve starts near the random draw it was initialised with and rises.
        Assert.True(report.Curve[^1] > report.Curve[0], $"accuracy {report.Curve[0]:P1} -> {report.Curve[^1]:P1}");
    }
}
