using Hypergrad.Autograd;
using Hypergrad.Optimizers;
using Hypergrad.Parameters;
using Hypergrad.Solving;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace Hypergrad.Tests.Memory;

/// <summary>Tests that read TorchSharp's process-wide live-tensor count: they must run alone.</summary>
[CollectionDefinition(nameof(LiveTensorCount), DisableParallelization = true)]
public sealed class LiveTensorCount
{
    /// <summary>Live tensor handles after collecting garbage (finalizers release dropped wrappers).</summary>
    public static long Now()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return Tensor.TotalCount;
    }
}

/// <summary>
/// A long run must not grow TorchSharp's live-tensor count: 1,000 outer steps of Run on a tiny problem for each
/// method family (implicit: CG, Nyström, Neumann; iterative: reverse, reverse with recompute, first order;
/// equilibrium). A leak of one tensor per outer variable per outer step shows as a growth of ≥ 2,000.
/// </summary>
[Collection(nameof(LiveTensorCount))]
public class LiveTensorCountTests
{
    const int OuterSteps = 1000;

    [Theory]
    [InlineData(Method.ConjugateGradient)]
    [InlineData(Method.Nystrom)]
    [InlineData(Method.Neumann)]
    [InlineData(Method.ReverseUnroll)]
    [InlineData(Method.ReverseRecompute)]
    [InlineData(Method.FirstOrder)]
    public void RunDoesNotGrowTheLiveTensorCount(Method method)
    {
        var (problem, batch) = Ridge(method);
        var options = new BilevelOptions
        {
            UnrollSteps = 1,
            InnerOptimizer = new DifferentiableSgd(0.1),
            OuterOptimizer = new DifferentiableSgd(0.001),
        };
        // A first run warms every cache (solver state, optimizer state, warm starts) up; the second must add nothing.
        options.Steps = 11;
        BilevelSolver.Run(problem, Batches(batch), Batches(batch), options);
        long before = LiveTensorCount.Now();
        options.Steps = OuterSteps + 1;
        var result = BilevelSolver.Run(problem, Batches(batch), Batches(batch), options);
        long growth = LiveTensorCount.Now() - before;

        Assert.Equal(OuterSteps, result.OuterSteps);
        Assert.True(growth <= 5, $"{method}: the live-tensor count grew by {growth} over {OuterSteps} outer steps.");
    }

    [Fact]
    public void EquilibriumRunDoesNotGrowTheLiveTensorCount()
    {
        var state = zeros(4, 2, dtype: float64);
        var recurrent = new Parameter(full(2, 2, 0.1, dtype: float64));
        var injection = new Parameter(full(3, 2, 0.2, dtype: float64));
        var x = randn(4, 3, dtype: float64);
        var y = randn(4, dtype: float64);
        var problem = new FixedPointProblem<ValueTuple>("Deq",
            new HypergradientSettings(Method.FixedPoint) { EquilibriumIterations = 30, EquilibriumTolerance = 1e-8 },
            new ParameterSet(("State", state)), new ParameterSet(("Recurrent", (Tensor)recurrent), ("Injection", (Tensor)injection)),
            new FixedPointMapOfBatch<ValueTuple>("Layer", _ => z => (z.mm(recurrent) + x.mm(injection)).tanh()),
            new Objective<ValueTuple>("Loss", _ => (state.sum(1) - y).pow(2).mean()));
        var options = new BilevelOptions { Steps = 10, OuterOptimizer = new DifferentiableSgd(0.001) };
        FixedPointSolver.Run(problem, Hypergrad.Solving.Batches.None, options);
        long before = LiveTensorCount.Now();
        options.Steps = OuterSteps;
        FixedPointSolver.Run(problem, Hypergrad.Solving.Batches.None, options);
        long growth = LiveTensorCount.Now() - before;
        Assert.True(growth <= 5, $"the live-tensor count grew by {growth} over {OuterSteps} equilibrium steps.");
    }

    [Fact]
    public void AnUnusedInputLeavesNoCountedWrapper()
    {
        // autograd.grad returns an empty wrapper for an input the output does not use; the layer must not leave it counted.
        var used = randn(3, dtype: float64).requires_grad_(true);
        var unused = randn(3, dtype: float64).requires_grad_(true);
        long before = LiveTensorCount.Now();
        for (int i = 0; i < 100; i++)
            using (NewDisposeScope())
                Gradients.Of((used * used).sum(), "loss", [used, unused], ["used", "unused"], unused: UnusedInput.Zero);
        Assert.Equal(before, LiveTensorCount.Now());
    }

    static (BilevelProblem<(Tensor x, Tensor y), (Tensor x, Tensor y)>, (Tensor x, Tensor y)) Ridge(Method method)
    {
        var w = new Parameter(zeros(2, dtype: float64));
        var logDecay = new Parameter(zeros(2, dtype: float64));
        var generator = new Generator(3);
        var batch = (randn(new long[] { 6, 2 }, dtype: float64, generator: generator) * 0.5, randn(new long[] { 6 }, dtype: float64, generator: generator));
        var problem = new BilevelProblem<(Tensor x, Tensor y), (Tensor x, Tensor y)>("Ridge", new HypergradientSettings(method),
            new ParameterSet(("W", (Tensor)w)), new ParameterSet(("LogDecay", (Tensor)logDecay)),
            new Objective<(Tensor x, Tensor y)>("Train", b => (b.x.mm(w.unsqueeze(1)).squeeze(1) - b.y).pow(2).mean() + 0.5 * (w.pow(2) * logDecay.exp()).sum()),
            // The direct λ term keeps FirstOrder's hypergradient nonzero (it drops the path through the inner objective).
            new Objective<(Tensor x, Tensor y)>("Validation", b => (b.x.mm(w.unsqueeze(1)).squeeze(1) - b.y).pow(2).mean() + 1e-3 * logDecay.exp().sum()));
        return (problem, batch);
    }

    static IEnumerable<(Tensor x, Tensor y)> Batches((Tensor x, Tensor y) batch)
    {
        while (true) yield return batch;
    }
}
