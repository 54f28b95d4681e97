using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static Hypergrad.Generators.Tests.EndToEnd.RunEndToEndTests;

namespace Hypergrad.Generators.Tests.EndToEnd;

/// <summary>[Outer(Min, Max)]: after every outer step the variable is the projection of the unbounded step onto its bounds.</summary>
public sealed class OuterBoundsTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("hypergrad-bounds-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    public static TheoryData<string> Optimizers => new() { "torch.optim", "differentiable" };

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void EveryOuterStepIsTheUnboundedStepClampedIntoTheBounds(string kind)
    {
        var data = new RidgeData();
        var bounded = new BoundedRidgeDecay(data.InitialWeight);
        var unbounded = new RidgeDecay(data.InitialWeight);   // same objectives, no bounds
        OuterOptimizer Outer(Parameter decay) => kind == "torch.optim" ? torch.optim.SGD(new[] { decay }, 5.0) : new DifferentiableSgd(5.0);

        // Independent reference: after each bounded outer step, the unbounded problem is put at the bounded state and takes
        // the same step, which is then clamped by hand.
        var afterSteps = new List<double[]>();
        bounded.Run(Cycle(data.Train), Cycle(data.Validation), new BilevelOptions
        {
            Steps = 5, UnrollSteps = 4, InnerOptimizer = new DifferentiableSgd(0.1), OuterOptimizer = Outer(bounded.LogDecay),
            AfterOuterStep = _ => afterSteps.Add(bounded.LogDecay.detach().data<double>().ToArray()),
        });
        var unboundedRun = unbounded.Run(Cycle(data.Train), Cycle(data.Validation), new BilevelOptions
        {
            Steps = 5, UnrollSteps = 4, InnerOptimizer = new DifferentiableSgd(0.1), OuterOptimizer = Outer(unbounded.LogDecay),
        });

        var single = Assert.Single(afterSteps);
        var expected = unbounded.LogDecay.detach().clamp(BoundedRidgeDecay.Min, BoundedRidgeDecay.Max).data<double>().ToArray();
        Assert.Equal(expected, single);
        // The bounds were active: the unbounded step left them on at least one side.
        var raw = unbounded.LogDecay.detach();
        Assert.True((raw < BoundedRidgeDecay.Min).any().item<bool>() || (raw > BoundedRidgeDecay.Max).any().item<bool>(), raw.str());
    }

    [Fact]
    public void ALongRunStaysInsideTheBoundsAtEveryOuterStep()
    {
        var data = new RidgeData();
        var problem = new BoundedRidgeDecay(data.InitialWeight);
        double low = double.PositiveInfinity, high = double.NegativeInfinity;
        var run = problem.Run(Cycle(data.Train), Cycle(data.Validation), new BilevelOptions
        {
            Steps = 61, UnrollSteps = 3, InnerOptimizer = new DifferentiableSgd(0.1), OuterOptimizer = new DifferentiableAdam(0.5),
            AfterOuterStep = _ =>
            {
                low = Math.Min(low, problem.LogDecay.min().item<double>());
                high = Math.Max(high, problem.LogDecay.max().item<double>());
            },
        });
        Assert.Equal(20, run.OuterSteps);
        Assert.True(low >= BoundedRidgeDecay.Min && high <= BoundedRidgeDecay.Max, $"[{low}, {high}]");
        Assert.Equal(BoundedRidgeDecay.Min, low);   // Adam at lr 0.5 pushes the decay down onto its lower bound
    }

    [Fact]
    public void AnUnrolledRunRespectsAOneSidedBoundAndResumesBitwise()
    {
        var data = new RidgeData(seed: 3);
        BilevelOptions For(BoundedUnrolledRidgeDecay p, string? path, Action<BilevelProgress>? after = null) => new()
        {
            Steps = 31, InnerOptimizer = new DifferentiableSgd(0.1), OuterOptimizer = torch.optim.Adam(new[] { p.LogDecay }, 0.5),
            CheckpointPath = path, AfterOuterStep = after,
        };

        var reference = new BoundedUnrolledRidgeDecay(data.InitialWeight);
        double high = double.NegativeInfinity;
        var full = reference.Run(DistinctBatches(data.Train), Cycle(data.Validation), For(reference, null, _ => high = Math.Max(high, reference.LogDecay.max().item<double>())));
        Assert.True(high <= BoundedRidgeDecay.Max, $"max {high}");

        string path = Path.Combine(folder, "bounded.ckpt");
        var interrupted = new BoundedUnrolledRidgeDecay(data.InitialWeight);
        using var cancellation = new CancellationTokenSource();
        Assert.ThrowsAny<OperationCanceledException>(() => interrupted.Run(DistinctBatches(data.Train), Cycle(data.Validation),
            For(interrupted, path, r => { if (r.OuterStep == 2) cancellation.Cancel(); }), cancellationToken: cancellation.Token));
        var resumed = new BoundedUnrolledRidgeDecay(data.InitialWeight);
        var rest = resumed.Run(DistinctBatches(data.Train), Cycle(data.Validation), For(resumed, path));
        Assert.Equal(full.OuterLosses, rest.OuterLosses);
        Assert.Equal(reference.LogDecay.detach().data<double>().ToArray(), resumed.LogDecay.detach().data<double>().ToArray());
    }

    [Fact]
    public void BoundsThatAreNotAnIntervalAreRefusedByTheRuntimeNamingTheMember()
    {
        var error = Assert.Throws<HypergradException>(() => new BilevelProblem<int, int>("P", new HypergradientSettings(Method.ConjugateGradient),
            new Hypergrad.Parameters.ParameterSet(Hypergrad.Parameters.ParameterSource.FromTensor("W", zeros(2, requires_grad: true))),
            new Hypergrad.Parameters.ParameterSet(Hypergrad.Parameters.ParameterSource.FromTensor("Lambda", zeros(2, requires_grad: true))),
            new Objective<int>("G", _ => zeros(1)), new Objective<int>("F", _ => zeros(1)))
        {
            OuterBounds = new[] { new OuterBound("Lambda", 1, 0) },
        });
        Assert.Contains("'Lambda'", error.Message);
        Assert.Contains("Min ≤ Max", error.Message);
    }
}
