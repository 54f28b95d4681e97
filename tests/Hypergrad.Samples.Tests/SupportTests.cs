using SkiaSharp;
using Xunit;
using static TorchSharp.torch;

namespace Hypergrad.Samples.Tests;

public sealed class SupportTests : IDisposable
{
    readonly string folder = Directory.CreateTempSubdirectory("hypergrad-support-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void Curve_plot_writes_a_png_of_the_requested_size_with_the_curves_colours()
    {
        var path = Path.Combine(folder, "sub", "curves.png");
        new CurvePlot("Validation loss", "outer step", "loss")
            .Line("falling", new double[] { 0, 1, 2, 3 }, new[] { 1.0, 0.6, 0.4, 0.3 })
            .Reference("baseline", 0.5)
            .Save(path, width: 400, height: 300);

        using var bitmap = SKBitmap.Decode(path);
        Assert.Equal(400, bitmap.Width);
        Assert.Equal(300, bitmap.Height);
        // Something other than white and black/grey was drawn: the curve's colour.
        var coloured = 0;
        for (int y = 0; y < bitmap.Height; y += 2)
        for (int x = 0; x < bitmap.Width; x += 2)
        {
            var c = bitmap.GetPixel(x, y);
            if (Math.Abs(c.Red - c.Blue) > 60) coloured++;
        }
        Assert.True(coloured > 50, $"only {coloured} coloured pixels: the curves were not drawn");
    }

    [Fact]
    public void Image_grid_draws_each_image_dark_on_white_at_its_scale()
    {
        // Two 2×3 images; in the first only pixel (0, 0) is bright, in the second only pixel (1, 2).
        var images = zeros(2, 2, 3);
        images[0, 0, 0] = tensor(1f);
        images[1, 1, 2] = tensor(0.5f);
        var path = ImageGrid.Save(Path.Combine(folder, "grid.png"), images, columns: 2, scale: 4);

        using var bitmap = SKBitmap.Decode(path);
        Assert.Equal(2 + 2 * (3 * 4 + 2), bitmap.Width);
        Assert.Equal(2 + 1 * (2 * 4 + 2), bitmap.Height);
        Assert.Equal(SKColors.Black, bitmap.GetPixel(2 + 1, 2 + 1));             // image 0, pixel (0, 0)
        Assert.Equal(SKColors.White, bitmap.GetPixel(2 + 4 + 1, 2 + 1));         // image 0, pixel (0, 1)
        Assert.Equal(SKColors.Black, bitmap.GetPixel(16 + 2 * 4 + 1, 2 + 4 + 1)); // image 1, pixel (1, 2): its own maximum
    }

    [Fact]
    public void Results_table_is_aligned_markdown_and_is_saved()
    {
        var table = new ResultsTable("method", "loss").Add("Nyström", "0.31").Add("CG", "0.3");
        var path = table.PrintAndSave(Path.Combine(folder, "results.md"));

        var lines = File.ReadAllLines(path);
        Assert.Equal("| method  | loss |", lines[0]);
        Assert.Equal("| ------- | ---- |", lines[1]);
        Assert.Equal("| CG      | 0.3  |", lines[3]);
        Assert.Throws<ArgumentException>(() => table.Add("only one cell"));
    }

    [Fact]
    public void Progress_bar_writes_one_line_per_tenth_when_output_is_redirected()
    {
        var output = new StringWriter();
        var bar = new ConsoleProgressBar("CG", 100, output);
        for (int step = 1; step <= 100; step++) bar.Report(step, $"outer loss {1.0 / step:F3}");

        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(11, lines.Length); // the first report, then one at each of 10 %, 20 %, …, 100 %
        Assert.Contains("[##############################]   100/100", lines[^1]);
        Assert.EndsWith("outer loss 0.010", lines[^1].TrimEnd());
    }

    [Fact]
    public void Plain_linear_classifier_learns_a_separable_problem()
    {
        manual_seed(1);
        var x = randn(400, 5);
        var labels = x[.., 0].gt(0).to_type(ScalarType.Int64) + 2 * x[.., 1].gt(0).to_type(ScalarType.Int64);

        var model = PlainTraining.LinearClassifier(x, labels, classes: 4, steps: 200, learningRate: 1.0);

        Assert.True(PlainTraining.Accuracy(model, x, labels) > 0.95);
        using var untrained = nn.Linear(5, 4);
        Assert.True(PlainTraining.Accuracy(untrained, x, labels) < 0.7);
    }
}

public class SampleArgumentsTests
{
    [Fact]
    public void Options_are_read_with_defaults_and_a_mistyped_one_is_refused_by_name()
    {
        var options = new SampleArguments(new[] { "--outer-steps", "7", "--outer-lr", "0.5", "--outr-lr", "2" });

        Assert.Equal(7, options.Get("outer-steps", 30));
        Assert.Equal(0.5, options.Get("outer-lr", 1.0));
        Assert.Equal(3, options.Get("seed", 3));
        Assert.Null(options.GetOptional("csv"));
        var e = Assert.Throws<ArgumentException>(options.EnsureAllUsed);
        Assert.Contains("Unknown option --outr-lr", e.Message);
        Assert.Contains("--outer-lr", e.Message);
        Assert.Contains("--csv", e.Message);
    }

    [Fact]
    public void A_malformed_number_names_the_option()
    {
        var options = new SampleArguments(new[] { "--seed", "two" });
        var e = Assert.Throws<ArgumentException>(() => options.Get("seed", 0));
        Assert.Equal("Option --seed must be an integer, not 'two'.", e.Message);
        Assert.Throws<ArgumentException>(() => new SampleArguments(new[] { "--seed" }).Get("seed", 0));
    }

    [Fact]
    public void The_shared_main_returns_2_for_bad_options_and_1_with_the_message_for_a_hypergrad_error()
    {
        bool ran = false;
        Assert.Equal(2, SampleProgram.Run(new[] { "--nope", "1" }, o => o.Get("steps", 1), _ => ran = true));
        Assert.False(ran);
        Assert.Equal(1, SampleProgram.Run(Array.Empty<string>(), o => o.Get("steps", 1), _ => throw new HypergradException("no data")));
        Assert.Equal(0, SampleProgram.Run(new[] { "--steps", "4" }, o => o.Get("steps", 1), steps => ran = steps == 4));
        Assert.True(ran);
    }
}
