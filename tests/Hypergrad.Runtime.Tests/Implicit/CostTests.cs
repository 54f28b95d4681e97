using Hypergrad.Implicit;
using Hypergrad.Parameters;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace Hypergrad.Tests.Implicit;

/// <summary>The flat-buffer design's promises: per iteration, no per-tensor work beyond autograd's own results; no growth over long runs.</summary>
public class CostTests
{
    const int Size = 60;

    // The same quadratic problem with its inner variables split into `pieces` Parameters.
    static (ParameterSet inner, ParameterSet outer, Func<Tensor> g, Func<Tensor> f) Problem(int pieces)
    {
        var generator = new Generator(5);
        var r = randn(Size, Size, dtype: float64, generator: generator);
        var h = r.T.mm(r) / Size + eye(Size, dtype: float64);
        var b = randn(Size, 2, dtype: float64, generator: generator);
        var w = Enumerable.Range(0, pieces).Select(_ => new Parameter(randn(Size / pieces, dtype: float64, generator: generator))).ToArray();
        var lambda = new Parameter(randn(2, dtype: float64, generator: generator));
        var inner = new ParameterSet(w.Select((p, i) => (ParameterSource)($"W{i}", (Tensor)p)));
        var outer = new ParameterSet(("Lambda", lambda));
        Tensor All() => cat(w.Select(p => (Tensor)p).ToArray(), 0);
        return (inner, outer, () => 0.5 * All().dot(h.mv(All())) - All().dot(b.mv(lambda)), () => All().pow(2).sum() + lambda.sum());
    }

    static long TensorsCreated()
    {
        var s = DisposeScopeManager.Statistics;
        return s.CreatedInScopeCount + s.CreatedOutsideScopeCount;
    }

    static long CreatedBy(int pieces, int iterations)
    {
        var (inner, outer, g, f) = Problem(pieces);
        var engine = new ImplicitHypergradient(inner, outer, new ConjugateGradient { Iterations = iterations, Tolerance = 0 });
        long before = TensorsCreated();
        using var result = engine.Compute(g, f);
        Assert.Equal(iterations, result.Iterations);
        return TensorsCreated() - before;
    }

    [Fact]
    public void A_CG_iteration_for_20_parameter_tensors_adds_only_autograds_gradients_and_one_concatenation()
    {
        long perIterationOne = (CreatedBy(1, 12) - CreatedBy(1, 4)) / 8;
        long perIterationTwenty = (CreatedBy(20, 12) - CreatedBy(20, 4)) / 8;
        // A product is one autograd call with respect to one leaf per variable: it returns one gradient per parameter
        // tensor (19 more than for one tensor), concatenated once into the flat product. Everything else in an iteration
        // (the vector algebra on flat vectors) is the same for 20 tensors as for 1.
        Assert.Equal(perIterationOne + 19 + 1, perIterationTwenty);
        Assert.InRange(perIterationOne, 1, 4);   // one product, two dot products
    }

    [Fact]
    public void Live_tensors_stay_flat_over_2000_hypergradients()
    {
        var w = new Parameter(tensor(new[] { 0.5, -1.0 }, dtype: float64));
        var lambda = new Parameter(tensor(new[] { 0.2, 0.1 }, dtype: float64));
        var inner = new ParameterSet(("W", w));
        var outer = new ParameterSet(("Lambda", lambda));
        var h = tensor(new[] { 2.0, 0.5, 0.5, 1.0 }, dtype: float64).reshape(2, 2);
        var engine = new ImplicitHypergradient(inner, outer, new ConjugateGradient { Iterations = 2, Tolerance = 1e-12, WarmStart = true });
        Func<Tensor> g = () => 0.5 * w.dot(h.mv(w)) - w.dot(lambda.exp());
        // F uses both variables: for an input an output does not use, autograd returns an empty wrapper (no native
        // memory) that TorchSharp counts as live forever, which would hide a real leak in this count.
        Func<Tensor> f = () => (w - 1).pow(2).sum() + lambda.pow(2).sum();

        for (int i = 0; i < 10; i++) engine.Compute(g, f, accumulateGrad: true).Dispose();   // warm-up: .grad and the warm start exist
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (int i = 0; i < 2000; i++) engine.Compute(g, f, accumulateGrad: true).Dispose();
        long after = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        Assert.InRange(after - before, -5, 5);
    }
}
