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

public sealed class WeightDecayCsvTests : IDisposable
{
    readonly string folder = Directory.CreateTempSubdirectory("hypergrad-weight-decay-csv-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void A_users_csv_file_is_read_split_and_tuned_like_the_synthetic_data()
    {
        // 400 rows, 8 features of which 2 carry signal, a 0/1 target column named "label".
        var random = new Random(3);
        var lines = new List<string> { string.Join(",", Enumerable.Range(0, 8).Select(j => $"f{j}").Append("label")) };
        for (int i = 0; i < 400; i++)
        {
            var x = Enumerable.Range(0, 8).Select(_ => random.NextDouble() * 2 - 1).ToArray();
            int label = x[0] - 2 * x[1] + 0.5 * (random.NextDouble() - 0.5) > 0 ? 1 : 0;
            lines.Add(string.Join(",", x.Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture)).Append(label.ToString())));
        }
        var path = Path.Combine(folder, "data.csv");
        File.WriteAllLines(path, lines);

        var data = LogisticData.FromCsv(path, "label", seed: 0);
        Assert.Equal((200L, 8L), (data.TrainX.shape[0], data.TrainX.shape[1]));
        Assert.Equal(100, data.ValidationX.shape[0]);
        Assert.Equal(100, data.TestX.shape[0]);

        var settings = new WeightDecaySettings { CsvPath = path, TargetColumn = "label", OuterSteps = 6, UnrollSteps = 50, OutputDirectory = null };
        var outcomes = WeightDecaySample.Run(settings, TextWriter.Null);
        Assert.All(outcomes.Take(3), o => Assert.True(o.ValidationAfter < o.ValidationBefore, $"{o.Name}: {o.ValidationBefore:F4} -> {o.ValidationAfter:F4}"));
    }

    [Fact]
    public void A_target_column_that_is_not_zero_or_one_is_refused_with_the_fix()
    {
        var path = Path.Combine(folder, "bad.csv");
        File.WriteAllLines(path, new[] { "a,y", "1,0", "2,2", "3,1", "4,0", "5,1", "6,0", "7,1", "8,0" });

        var e = Assert.Throws<HypergradException>(() => LogisticData.FromCsv(path, "y", seed: 0));

        Assert.Contains("must hold only 0 and 1", e.Message);
    }
}
