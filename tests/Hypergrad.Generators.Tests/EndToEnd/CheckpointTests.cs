using TorchSharp;
using static TorchSharp.torch;
using static Hypergrad.Generators.Tests.EndToEnd.RunEndToEndTests;

namespace Hypergrad.Generators.Tests.EndToEnd;

/// <summary>
/// An interrupted run loses nothing: cancelled mid-way and resumed from its checkpoint (by a new process's worth of
/// objects: new problem, new optimizers), it ends exactly where the uninterrupted run ends.
/// </summary>
public sealed class CheckpointTests : IDisposable
{
    private const int Steps = 31;
    private readonly string folder = Directory.CreateTempSubdirectory("hypergrad-checkpoint-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void ImplicitRunResumedAfterCancellationEqualsUninterruptedRun()
    {
        var data = new RidgeData(seed: 5);
        // Stateful optimizers on both levels: Adam inside, SGD with momentum outside.
        BilevelOptions Options(RidgeDecay problem, string? path, Action<BilevelProgress>? after = null) => new()
        {
            Steps = Steps, UnrollSteps = 3, Patience = 4,
            InnerOptimizer = new DifferentiableAdam(0.05),
            OuterOptimizer = torch.optim.SGD(new[] { problem.LogDecay }, 0.5, momentum: 0.9),
            CheckpointPath = path, AfterOuterStep = after,
        };

        var reference = new RidgeDecay(data.InitialWeight);
        var full = reference.Run(Cycle(data.Train), Cycle(data.Validation), Options(reference, null));

        string path = Path.Combine(folder, "ridge.ckpt");
        var interrupted = new RidgeDecay(data.InitialWeight);
        using var cancellation = new CancellationTokenSource();
        Assert.ThrowsAny<OperationCanceledException>(() => interrupted.Run(Cycle(data.Train), Cycle(data.Validation),
            Options(interrupted, path, report => { if (report.OuterStep == 4) cancellation.Cancel(); }), cancellationToken: cancellation.Token));
        Assert.True(File.Exists(path));

        var resumed = new RidgeDecay(data.InitialWeight);
        var rest = resumed.Run(Cycle(data.Train), Cycle(data.Validation), Options(resumed, path));

        Assert.Equal(16, rest.ResumedFromStep);   // outer steps at 6, 9, 12, 15: cancelled before step 16
        Assert.Equal(full.OuterSteps, rest.OuterSteps);
        Assert.Equal(full.OuterLosses, rest.OuterLosses);
        AssertClose(reference.LogDecay, resumed.LogDecay);
        AssertClose(reference.Model.weight, resumed.Model.weight);
    }

    [Fact]
    public void NystromPreconditionedRunWithAReusedSketchResumesBitExactly()
    {
        var data = new RidgeData(seed: 6);
        BilevelOptions Options(SketchedCg problem, string? path, Action<BilevelProgress>? after = null) => new()
        {
            Steps = Steps, UnrollSteps = 3, Patience = 4, InnerOptimizer = new DifferentiableSgd(0.1),
            OuterOptimizer = torch.optim.SGD(new[] { problem.LogDecay }, 0.5, momentum: 0.9), CheckpointPath = path, AfterOuterStep = after,
        };
        var reference = new SketchedCg(data.InitialWeight);
        var full = reference.Run(Cycle(data.Train), Cycle(data.Validation), Options(reference, null));

        // Sketches are built at outer steps 1, 4, 7: cancelled after step 5, the resumed run must reuse step 4's sketch.
        string path = Path.Combine(folder, "sketched.ckpt");
        var interrupted = new SketchedCg(data.InitialWeight);
        using var cancellation = new CancellationTokenSource();
        Assert.ThrowsAny<OperationCanceledException>(() => interrupted.Run(Cycle(data.Train), Cycle(data.Validation),
            Options(interrupted, path, report => { if (report.OuterStep == 5) cancellation.Cancel(); }), cancellationToken: cancellation.Token));

        var resumed = new SketchedCg(data.InitialWeight);
        var reports = new List<BilevelProgress>();
        var rest = resumed.Run(Cycle(data.Train), Cycle(data.Validation), Options(resumed, path, reports.Add));

        Assert.Equal(19, rest.ResumedFromStep);
        // Warm-started: one product for the starting residual, one per iteration, plus 2 when the rank-2 sketch is built.
        Assert.Equal(1 + reports[0].Iterations, reports[0].HessianVectorProducts);         // outer step 6 reused the checkpointed sketch
        Assert.Equal(3 + reports[1].Iterations, reports[1].HessianVectorProducts);         // outer step 7 rebuilt it
        Assert.Equal(full.OuterLosses, rest.OuterLosses);
        // The run's summed products (sketches included) come through the checkpoint: the resumed run's total is the whole run's.
        Assert.Equal(full.HessianVectorProducts, rest.HessianVectorProducts);
        Assert.Equal(reference.LogDecay.data<double>().ToArray(), resumed.LogDecay.data<double>().ToArray());
        Assert.Equal(reference.Model.weight.data<double>().ToArray(), resumed.Model.weight.data<double>().ToArray());
    }

    [Fact]
    public void UnrolledRunResumedAfterCancellationEqualsUninterruptedRun()
    {
        // Every training batch distinct, one per inner step: a resume that skipped to the wrong batch would show.
        var data = new RidgeData(seed: 9);
        BilevelOptions Options(string? path, Action<BilevelProgress>? after = null) => new()
        {
            Steps = Steps, InnerOptimizer = new DifferentiableSgd(0.1), OuterOptimizer = new DifferentiableAdam(0.05),
            CheckpointPath = path, AfterOuterStep = after,
        };

        var reference = new UnrolledRidgeDecay(data.InitialWeight);
        var full = reference.Run(DistinctBatches(data.Train), Cycle(data.Validation), Options(null));

        string path = Path.Combine(folder, "unrolled.ckpt");
        var interrupted = new UnrolledRidgeDecay(data.InitialWeight);
        using var cancellation = new CancellationTokenSource();
        Assert.ThrowsAny<OperationCanceledException>(() => interrupted.Run(DistinctBatches(data.Train), Cycle(data.Validation),
            Options(path, report => { if (report.OuterStep == 3) cancellation.Cancel(); }), cancellationToken: cancellation.Token));

        var resumed = new UnrolledRidgeDecay(data.InitialWeight);
        var rest = resumed.Run(DistinctBatches(data.Train), Cycle(data.Validation), Options(path));

        Assert.Equal(16, rest.ResumedFromStep);
        Assert.Equal(full.OuterLosses, rest.OuterLosses);
        AssertClose(reference.LogDecay, resumed.LogDecay);
        AssertClose(reference.Model.weight, resumed.Model.weight);
    }

    [Fact]
    public void FinishedRunIsExtendedToMoreSteps()
    {
        var data = new RidgeData(seed: 8);
        BilevelOptions Options(RidgeDecay problem, int steps, string? path) => new()
        {
            Steps = steps, UnrollSteps = 5, InnerOptimizer = new DifferentiableSgd(0.1),
            OuterOptimizer = torch.optim.SGD(new[] { problem.LogDecay }, 0.5, momentum: 0.9), CheckpointPath = path,
        };
        var reference = new RidgeDecay(data.InitialWeight);
        var full = reference.Run(Cycle(data.Train), Cycle(data.Validation), Options(reference, 31, null));

        string path = Path.Combine(folder, "extend.ckpt");
        var first = new RidgeDecay(data.InitialWeight);
        first.Run(Cycle(data.Train), Cycle(data.Validation), Options(first, 21, path));
        var extended = new RidgeDecay(data.InitialWeight);
        var rest = extended.Run(Cycle(data.Train), Cycle(data.Validation), Options(extended, 31, path));

        Assert.Equal(21, rest.ResumedFromStep);
        Assert.Equal(full.OuterLosses, rest.OuterLosses);
        AssertClose(reference.LogDecay, extended.LogDecay);
        AssertClose(reference.Model.weight, extended.Model.weight);
    }

    [Fact]
    public void CheckpointOfAnotherProblemIsRefusedWithAClearMessage()
    {
        var data = new RidgeData();
        string path = Path.Combine(folder, "other.ckpt");
        var implicitProblem = new RidgeDecay(data.InitialWeight);
        implicitProblem.Run(Cycle(data.Train), Cycle(data.Validation), new BilevelOptions
        {
            Steps = 4, UnrollSteps = 2, InnerOptimizer = new DifferentiableSgd(0.1), OuterOptimizer = new DifferentiableSgd(0.1), CheckpointPath = path,
        });

        var other = new UnrolledRidgeDecay(data.InitialWeight);
        var error = Assert.Throws<HypergradException>(() => other.Run(Cycle(data.Train), Cycle(data.Validation), new BilevelOptions
        {
            Steps = 4, InnerOptimizer = new DifferentiableSgd(0.1), OuterOptimizer = new DifferentiableSgd(0.1), CheckpointPath = path,
        }));
        Assert.Contains("'RidgeDecay'", error.Message);
        Assert.Contains("'UnrolledRidgeDecay'", error.Message);
    }
}
