using HyperCleaning;
using Xunit;

namespace Hypergrad.Samples.Tests;

public class HyperCleaningMethodsTests
{
    [Fact]
    public void The_methods_option_reads_each_method_and_its_options()
    {
        var pcg = CleaningMethod.Parse("nystrom-cg:rank=50:refresh=40:warm:iterations=1000:tolerance=1e-5");
        Assert.Equal(new CleaningMethod(Method.NystromConjugateGradient) { Rank = 50, SketchRefresh = 40, WarmStart = true, Iterations = 1000, Tolerance = 1e-5 }, pcg);
        Assert.Equal(new CleaningMethod(Method.Nystrom) { Rank = 20, Rho = 0.1 }, CleaningMethod.Parse("nystrom:rank=20:rho=0.1"));
        Assert.Equal(new CleaningMethod(Method.ReverseUnroll), CleaningMethod.Parse("reverse"));
        Assert.Equal(CleaningMethod.ConjugateGradient with { WarmStart = true }, CleaningMethod.Parse("cg:warm"));
    }

    [Theory]
    [InlineData("newton", "unknown method 'newton'")]
    [InlineData("nystrom:rank=0", "'rank' in 'nystrom:rank=0' must be a positive integer")]
    [InlineData("nystrom:rho=-1", "'rho' in 'nystrom:rho=-1' must be a positive number")]
    [InlineData("cg:rank=5", "'rank' in 'cg:rank=5' is not an option of cg; it takes warm, iterations, tolerance, rho")]
    [InlineData("reverse:warm", "'warm' in 'reverse:warm' is not an option of reverse, which takes none")]
    [InlineData("cg:warm=yes", "'warm=yes' in 'cg:warm=yes' must be warm, iterations=N")]
    public void A_malformed_method_is_refused_with_the_option_and_the_fix(string text, string expected)
    {
        var e = Assert.Throws<ArgumentException>(() => CleaningMethod.Parse(text));
        Assert.Contains("--methods", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Run_time_options_replace_the_attributes_and_keep_the_others()
    {
        var problem = new CleaningMethod(Method.NystromConjugateGradient) { Rank = 7, SketchRefresh = 3, WarmStart = true, Iterations = 99 }.Create(10, 4, 3, 1e-3);
        var settings = CleaningMethod.AsRunnable(problem).BilevelProblem.Settings;
        // Tolerance 1e-4 is the attribute's; the rest replaced it.
        Assert.Equal((7, 3, true, 99, 1e-4), (settings.Rank, settings.SketchRefresh, settings.WarmStart, settings.Iterations, settings.Tolerance));
        Assert.IsType<NystromConjugateGradientCleaning>(problem);
    }

    [Fact]
    public void Solved_to_one_tolerance_warm_started_Nystrom_PCG_follows_CG_from_zero_with_fewer_products()
    {
        // The cleaning-run benchmark shortened: 600 images, 6 outer steps. Every solve meets 1e-6, so both runs follow the
        // same hypergradients (to that tolerance) and must end at the same sample weights; the reused sketch and the warm
        // start may only change the cost, which is the runs' summed certificates.
        var settings = new HyperCleaningSettings
        {
            TrainCount = 600, ValidationCount = 200, TestCount = 500, OuterSteps = 6, UnrollSteps = 10,
            OutputDirectory = null, Baselines = false, TrackTestAccuracy = false, Seeds = 1,
        };
        var data = HyperCleaningSample.Load(settings);
        var cg = HyperCleaningSample.Clean(data, settings, new CleaningMethod(Method.ConjugateGradient) { Iterations = 2000, Tolerance = 1e-6 }, TextWriter.Null);
        var pcg = HyperCleaningSample.Clean(data, settings,
            new CleaningMethod(Method.NystromConjugateGradient) { Iterations = 2000, Tolerance = 1e-6, Rank = 50, SketchRefresh = 3, WarmStart = true }, TextWriter.Null);

        Assert.Equal(0, cg.OuterStepsNotConverged);
        Assert.Equal(0, pcg.OuterStepsNotConverged);
        Assert.Equal(cg.TestAccuracy, pcg.TestAccuracy, 2);
        Assert.Equal(cg.ValidationLoss, pcg.ValidationLoss, 3);
        Assert.Equal(cg.Precision, pcg.Precision, 2);
        // Two sketches of 50 products are in the total; CG from zero pays no sketch and starts every solve from zero.
        Assert.True(pcg.HessianVectorProducts >= 2 * 50 + pcg.SolveIterations, $"{pcg.HessianVectorProducts} products for {pcg.SolveIterations} iterations");
        Assert.True(pcg.HessianVectorProducts < cg.HessianVectorProducts, $"Nyström-PCG {pcg.HessianVectorProducts} vs CG {cg.HessianVectorProducts} products");
    }
}
