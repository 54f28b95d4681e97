using static Hypergrad.Generators.Tests.EndToEnd.RunEndToEndTests;

namespace Hypergrad.Generators.Tests.EndToEnd;

/// <summary>The options written in [Hypergradient] reach the runtime's engine (seen in the result's certificate).</summary>
public class OptionsTests
{
    private readonly RidgeData data = new(seed: 21);

    [Fact]
    public void NystromUsesTheDeclaredRank()
    {
        var problem = new NystromRankThree(data.InitialWeight);
        using var result = problem.ComputeHypergradient(data.Train[0], data.Validation[0]);
        Assert.Equal(Method.Nystrom, result.Method);
        Assert.Equal(3 + 1, result.HessianVectorProducts);   // k Hessian rows, plus one product for the reported residual
    }

    [Fact]
    public void NystromConjugateGradientBuildsTheDeclaredSketchOnceAndReusesIt()
    {
        var problem = new SketchedCg(data.InitialWeight);
        using var first = problem.ComputeHypergradient(data.Train[0], data.Validation[0]);
        using var second = problem.ComputeHypergradient(data.Train[1], data.Validation[0]);
        Assert.Equal(Method.NystromConjugateGradient, first.Method);
        Assert.Equal(2 + first.Iterations, first.HessianVectorProducts);   // the rank-2 sketch, then one product per iteration
        Assert.Equal(1 + second.Iterations, second.HessianVectorProducts); // the sketch is reused; one product for the warm start's residual
        Assert.True(first.Converged && second.Converged);
    }

    [Fact]
    public void ConjugateGradientStopsAtTheDeclaredIterations()
    {
        var problem = new TwoIterationCg(data.InitialWeight);
        using var result = problem.ComputeHypergradient(data.Train[0], data.Validation[0]);
        Assert.Equal(2, result.Iterations);
        Assert.False(result.Converged);   // 4 unknowns need 4 iterations to reach 1e-14
    }

    [Fact]
    public void WarmStartReusesThePreviousSolution()
    {
        var problem = new WarmStartedCg(data.InitialWeight);
        using var first = problem.ComputeHypergradient(data.Train[0], data.Validation[0]);
        using var second = problem.ComputeHypergradient(data.Train[0], data.Validation[0]);
        Assert.True(first.Iterations > 0);
        Assert.True(second.Iterations < first.Iterations, $"{second.Iterations} iterations warm vs {first.Iterations} cold");
        AssertClose(first["LogDecay"], second["LogDecay"], 1e-8);   // both solved to 1e-10
    }
}
