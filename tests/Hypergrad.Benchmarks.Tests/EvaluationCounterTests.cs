using Hypergrad.Benchmarks.Comparison;
using Xunit;

namespace Hypergrad.Benchmarks.Tests;

public class EvaluationCounterTests
{
    [Fact]
    public void FullBatchCallsCountOnePassEach()
    {
        // One outer step of a full-batch inner-loop method: 10 inner gradients, a graph for the hypergradient,
        // one outer gradient, 10 CG products, and two value-only reports.
        var counter = new EvaluationCounter(trainingSamples: 9000, validationSamples: 3000);
        for (int i = 0; i < 11; i++) counter.Inner(9000, differentiated: true);
        counter.Outer(3000, differentiated: true);
        counter.Products(10);
        counter.Inner(9000, differentiated: false);
        counter.Outer(3000, differentiated: false);

        Assert.Equal(11, counter.InnerGradients, 12);
        Assert.Equal(1, counter.OuterGradients, 12);
        Assert.Equal(10, counter.HessianVectorProducts, 12);
        Assert.Equal(22, counter.Total, 12);
        Assert.Equal(2, counter.Values, 12);
    }

    [Fact]
    public void MiniBatchCallsCountTheirFractionAndProductsTakeTheLastInnerBatch()
    {
        var counter = new EvaluationCounter(trainingSamples: 6400, validationSamples: 1000);
        counter.Inner(64, differentiated: true);        // 0.01 pass
        counter.Outer(100, differentiated: true);       // 0.1 pass
        counter.Products(3);                            // 3 products on the 64-sample batch: 0.03 pass
        counter.Inner(6400, differentiated: true);      // a full batch: 1 pass
        counter.Products(1);                            // now on the full batch: 1 pass

        Assert.Equal(1.01, counter.InnerGradients, 12);
        Assert.Equal(0.1, counter.OuterGradients, 12);
        Assert.Equal(1.03, counter.HessianVectorProducts, 12);
        Assert.Equal(2.14, counter.Total, 12);
    }

    [Fact]
    public void ProductsBeforeAnyInnerCallAreChargedAtFullBatch()
    {
        var counter = new EvaluationCounter(100, 10);
        counter.Products(4);
        Assert.Equal(4, counter.HessianVectorProducts, 12);
    }
}
