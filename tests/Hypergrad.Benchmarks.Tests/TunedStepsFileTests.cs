using Hypergrad.Benchmarks.Comparison;
using Xunit;

namespace Hypergrad.Benchmarks.Tests;

public class TunedStepsFileTests
{
    [Fact]
    public void RoundTripsIncludingAMethodThatDivergedEverywhere()
    {
        var path = Path.Combine(Path.GetTempPath(), $"tuned-{Guid.NewGuid():N}.csv");
        try
        {
            var entries = new[]
            {
                new TunedSteps("logreg", "CG warm-started", new StepSizes(0.25, 1000), 0.3721, 0, 6),
                new TunedSteps("cleaning", "SABA", null, double.NaN, 6, 6),
            };
            TunedStepsFile.Write(path, entries);
            var read = TunedStepsFile.Read(path);
            Assert.Equal(2, read.Count);
            Assert.Equal(entries[1] with { TuningValidationLoss = 0 }, read[0] with { TuningValidationLoss = 0 });   // sorted by task
            Assert.True(double.IsNaN(read[0].TuningValidationLoss));
            Assert.Equal(entries[0], read[1]);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void RefusesANameWithAComma() =>
        Assert.Throws<ArgumentException>(() => TunedStepsFile.Write(Path.GetTempFileName(), [new TunedSteps("t", "CG, warm", new StepSizes(1, 1), 1, 0, 1)]));
}
