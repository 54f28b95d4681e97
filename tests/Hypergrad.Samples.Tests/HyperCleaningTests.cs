using HyperCleaning;
using Xunit;

namespace Hypergrad.Samples.Tests;

public class HyperCleaningTests
{
    [Fact]
    public void Learned_sample_weights_beat_training_on_the_noisy_labels_and_single_out_corrupted_samples()
    {
        // The README run shortened: 1000 noisy training images, 300 clean validation images, 10 outer steps.
        var settings = new HyperCleaningSettings
        {
            TrainCount = 1000, ValidationCount = 300, TestCount = 2000, OuterSteps = 10, UnrollSteps = 10, OutputDirectory = null,
        };

        var report = HyperCleaningSample.Run(settings, TextWriter.Null);

        var cleaned = report.Rows[0];
        var noisy = report.Rows.Single(r => r.TrainedOn == "noisy training set");
        Assert.True(cleaned.TestAccuracy > noisy.TestAccuracy + 0.02,
            $"cleaned {cleaned.TestAccuracy:P1} vs noisy {noisy.TestAccuracy:P1}");
        // Half the labels are corrupted: a weight below ½ must point at a corrupted sample far more often than chance.
        Assert.True(report.Precision > 0.65, $"precision {report.Precision:P1}");
        Assert.True(report.Recall > 0.3, $"recall {report.Recall:P1}");
        Assert.Equal(settings.OuterSteps, report.TestAccuracyCurve.Count);
    }
}

public class HyperCleaningMissingDataTests
{
    [Fact]
    public void Without_the_data_the_sample_says_how_to_install_it()
    {
        var settings = new HyperCleaningSettings { DataDirectory = "/nonexistent/fashion-mnist", OutputDirectory = null };

        var e = Assert.Throws<HypergradException>(() => HyperCleaningSample.Run(settings, TextWriter.Null));

        Assert.Contains("apt-get install dataset-fashion-mnist", e.Message);
        Assert.Contains("/nonexistent/fashion-mnist", e.Message);
    }
}
