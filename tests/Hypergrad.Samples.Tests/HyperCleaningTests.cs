using HyperCleaning;
using Xunit;

namespace Hypergrad.Samples.Tests;

public class HyperCleaningTests
{
    [Fact]
    public void Learned_sample_weights_beat_the_tuned_noisy_baseline_and_single_out_corrupted_samples()
    {
        // The README run shortened: 1000 noisy training images, 300 clean validation images, 10 outer steps,
        // the baselines' grid cut to one step size and ridge (early stopping still chosen on validation).
        var settings = new HyperCleaningSettings
        {
            TrainCount = 1000, ValidationCount = 300, TestCount = 2000, OuterSteps = 10, UnrollSteps = 10, OutputDirectory = null,
            TuningLearningRates = [0.5], TuningRidges = [1e-3], TuningSteps = [10, 40, 160],
        };

        var report = HyperCleaningSample.Run(settings, TextWriter.Null);

        var cleaned = report.Rows[0];
        var run = Assert.Single(report.Runs);
        var noisy = report.Rows.Single(r => r.TrainedOn == "noisy training set");
        var oracle = report.Rows.Single(r => r.TrainedOn == HyperCleaningSample.Oracle);
        Assert.True(cleaned.TestAccuracy > noisy.TestAccuracy,
            $"cleaned {cleaned.TestAccuracy:P1} vs tuned noisy {noisy.TestAccuracy:P1}");
        // Clean labels only (half as many images) must beat the same images with half their labels wrong.
        Assert.True(oracle.TestAccuracy > noisy.TestAccuracy, $"oracle {oracle.TestAccuracy:P1} vs noisy {noisy.TestAccuracy:P1}");
        // Half the labels are corrupted: a weight below ½ must point at a corrupted sample far more often than chance.
        Assert.True(run.Precision > 0.65, $"precision {run.Precision:P1}");
        Assert.True(run.Recall > 0.3, $"recall {run.Recall:P1}");
        Assert.Equal(settings.OuterSteps, run.TestAccuracyCurve.Count);
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
