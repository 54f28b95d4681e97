using Hypergrad.Parameters;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace Hypergrad.Tests.Parameters;

public class HypergradientResultTests
{
    [Fact]
    public void AccumulateInto_adds_to_existing_grads_and_creates_missing_ones()
    {
        var decay = new Parameter(zeros(2, dtype: float64));
        var rate = new Parameter(zeros(1, dtype: float64));
        var outer = new ParameterSet(("Decay", decay), ("Rate", rate));
        decay.grad = tensor(new[] { 1.0, 2.0 }, dtype: float64);

        using var result = new HypergradientResult(Method.ConjugateGradient,
            new[] { new NamedTensor("Decay", tensor(new[] { 0.5, -1.0 }, dtype: float64)), new NamedTensor("Rate", tensor(new[] { 3.0 }, dtype: float64)) },
            iterations: 4, relativeResidual: 1e-9, hessianVectorProducts: 5, converged: true);
        result.AccumulateInto(outer);
        result.AccumulateInto(outer);

        Assert.Equal(new[] { 2.0, 0.0 }, decay.grad!.data<double>().ToArray());
        Assert.Equal(new[] { 6.0 }, rate.grad!.data<double>().ToArray());
        Assert.Equal(-1.0, result["Decay"][1].item<double>());
        Assert.Contains("Decay, Rate", Assert.Throws<KeyNotFoundException>(() => result["Decy"]).Message);
        Assert.Contains("ConjugateGradient: 4 iterations", result.ToString());
        Assert.Contains("converged", result.ToString());

        var other = new ParameterSet(("Other", zeros(3, dtype: float64)));
        Assert.Throws<HypergradException>(() => result.AccumulateInto(other));
    }
}
