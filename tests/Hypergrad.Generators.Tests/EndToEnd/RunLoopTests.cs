using TorchSharp;
using static TorchSharp.torch;
using static Hypergrad.Generators.Tests.EndToEnd.RunEndToEndTests;

namespace Hypergrad.Generators.Tests.EndToEnd;

/// <summary>The Run loop's schedule, its memory, and its errors for bad options.</summary>
public class RunLoopTests
{
    [Theory]
    [InlineData(25, 5, 0, new[] { 5, 10, 15, 20 })]
    [InlineData(25, 5, 12, new[] { 15, 20 })]
    [InlineData(7, 1, 0, new[] { 1, 2, 3, 4, 5, 6 })]
    [InlineData(10, 20, 0, new int[0])]
    public void OuterStepsFollowHypergradsSchedule(int steps, int unrollSteps, int patience, int[] expectedOuterSteps)
    {
        // hypergrad: for i in range(N): inner; if i > 0 and i >= patience and i % unroll == 0: outer.
        var expected = Enumerable.Range(0, steps).Where(i => i > 0 && i >= patience && i % unrollSteps == 0).ToArray();
        Assert.Equal(expectedOuterSteps, expected);

        var data = new RidgeData();
        var problem = new RidgeDecay(data.InitialWeight);
        var reports = new List<BilevelProgress>();
        var run = problem.Run(Cycle(data.Train), Cycle(data.Validation), new BilevelOptions
        {
            Steps = steps, UnrollSteps = unrollSteps, Patience = patience,
            InnerOptimizer = new DifferentiableSgd(0.1), OuterOptimizer = new DifferentiableSgd(0.1),
        }, new SynchronousProgress(reports.Add));

        Assert.Equal(steps, run.Steps);
        // A report follows inner step i (its Step counts the i + 1 inner steps done).
        Assert.Equal(expected.Select(i => i + 1), reports.Select(r => r.Step));
        Assert.Equal(Enumerable.Range(1, expected.Length), reports.Select(r => r.OuterStep));
        Assert.All(reports, r => Assert.True(double.IsFinite(r.InnerLoss) && double.IsFinite(r.OuterLoss)));
    }

    [Fact]
    public void Float32ProblemRunsAndImprovesTheValidationLoss()
    {
        // docs/dsl.md's opening example in float32 (the default dtype): 20 features, few informative, little data, strong initial decay.
        var generator = new torch.Generator(17);
        var truth = cat(new[] { ones(3) * 3, zeros(17) });
        (Tensor, Tensor) Batch(int rows)
        {
            var x = randn(rows, 20, generator: generator);
            return (x, (x.matmul(truth) + randn(rows, generator: generator) > 0).to_type(ScalarType.Float32));
        }
        var train = Batch(40);
        var validation = Batch(400);
        var problem = new WeightDecayTuning(20);
        using (no_grad()) problem.LogDecay.fill_(2.0f);

        var run = problem.Run(new[] { train }, new[] { validation }, new BilevelOptions
        {
            Steps = 301, UnrollSteps = 50, Patience = 100,
            InnerOptimizer = new DifferentiableSgd(0.1),
            OuterOptimizer = torch.optim.SGD(new[] { problem.LogDecay }, 1.0, momentum: 0.9),
        });

        Assert.Equal(ScalarType.Float32, problem.LogDecay.dtype);
        Assert.Equal(5, run.OuterSteps);
        Assert.All(run.OuterLosses, loss => Assert.True(double.IsFinite(loss)));
        Assert.True(run.OuterLosses[^1] < run.OuterLosses[0], $"validation loss {string.Join(" → ", run.OuterLosses)} did not fall");
    }

    [Fact]
    public void LongRunsDoNotGrowNativeMemory()
    {
        var data = new RidgeData();
        var problem = new UnrolledRidgeDecay(data.InitialWeight);
        long Live() => DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        BilevelOptions Options(int steps) => new() { Steps = steps, UnrollSteps = 2, InnerOptimizer = new DifferentiableAdam(0.01), OuterOptimizer = new DifferentiableSgd(0.01) };

        problem.Run(Cycle(data.Train), Cycle(data.Validation), Options(4));   // creates the .grad and the engines once
        long before = Live();
        problem.Run(Cycle(data.Train), Cycle(data.Validation), Options(10));
        long afterShort = Live();
        problem.Run(Cycle(data.Train), Cycle(data.Validation), Options(60));
        long afterLong = Live();

        // Each run keeps the same fixed state (optimizer slots); six times the steps leave no more tensors behind.
        Assert.Equal(afterShort - before, afterLong - afterShort);
    }

    [Theory]
    [InlineData("Steps", "BilevelOptions.Steps is 0")]
    [InlineData("UnrollSteps", "BilevelOptions.UnrollSteps is -1")]
    [InlineData("Patience", "BilevelOptions.Patience is -2")]
    [InlineData("OuterOptimizer", "BilevelOptions.OuterOptimizer is not set")]
    [InlineData("InnerOptimizer", "BilevelOptions.InnerOptimizer is not set")]
    public void InvalidOptionsAreRefusedBeforeAnythingRuns(string option, string message)
    {
        var data = new RidgeData();
        var problem = new RidgeDecay(data.InitialWeight);
        var weight = problem.Model.weight.detach().clone();
        var options = new BilevelOptions { Steps = 5, UnrollSteps = 2, InnerOptimizer = new DifferentiableSgd(0.1), OuterOptimizer = new DifferentiableSgd(0.1) };
        switch (option)
        {
            case "Steps": options.Steps = 0; break;
            case "UnrollSteps": options.UnrollSteps = -1; break;
            case "Patience": options.Patience = -2; break;
            case "OuterOptimizer": options.OuterOptimizer = null; break;
            case "InnerOptimizer": options.InnerOptimizer = null; break;
        }
        var error = Assert.Throws<HypergradException>(() => problem.Run(Cycle(data.Train), Cycle(data.Validation), options));
        Assert.Contains(message, error.Message);
        Assert.Equal(0.0, (weight - problem.Model.weight.detach()).abs().max().item<double>());
    }

    [Fact]
    public void DivergingInnerOptimizationStopsWithAClearError()
    {
        var data = new RidgeData();
        var problem = new RidgeDecay(data.InitialWeight);
        var error = Assert.Throws<HypergradException>(() => problem.Run(Cycle(data.Train), Cycle(data.Validation),
            new BilevelOptions { Steps = 200, UnrollSteps = 100, InnerOptimizer = new DifferentiableSgd(50), OuterOptimizer = new DifferentiableSgd(0.1) }));
        Assert.Contains("TrainLoss", error.Message);
        Assert.Contains("diverged", error.Message);
    }

    // An infinite learning rate stands for any step that overflows: the step is undone, the error names the variable.
    [Fact]
    public void AnInnerStepThatMakesAVariableNonFiniteIsUndoneAndNamed()
    {
        var data = new RidgeData();
        var problem = new RidgeDecay(data.InitialWeight);
        var before = problem.Model.weight.detach().clone();
        var error = Assert.Throws<HypergradException>(() => problem.Run(Cycle(data.Train), Cycle(data.Validation),
            new BilevelOptions { Steps = 10, UnrollSteps = 5, InnerOptimizer = new DifferentiableSgd(double.PositiveInfinity), OuterOptimizer = new DifferentiableSgd(0.1) }));
        Assert.Contains("inner step 0 on TrainLoss diverged", error.Message);
        Assert.Contains("Model.weight", error.Message);
        Assert.DoesNotContain("LogDecay", error.Message);
        Assert.Equal(before.data<double>().ToArray(), problem.Model.weight.detach().data<double>().ToArray());
    }

    [Fact]
    public void AnOuterStepThatMakesAVariableNonFiniteIsUndoneAndNamed()
    {
        var data = new RidgeData();
        var problem = new RidgeDecay(data.InitialWeight);
        var decayBefore = problem.LogDecay.detach().clone();
        Tensor? weightAtOuterStep = null;
        var error = Assert.Throws<HypergradException>(() => problem.Run(Cycle(data.Train), Cycle(data.Validation),
            new BilevelOptions { Steps = 10, UnrollSteps = 5, InnerOptimizer = new DifferentiableSgd(0.1), OuterOptimizer = new DifferentiableSgd(double.PositiveInfinity) },
            new SynchronousProgress(_ => weightAtOuterStep = problem.Model.weight.detach().clone())));
        Assert.Contains("outer step 1 diverged", error.Message);
        Assert.Contains("LogDecay", error.Message);
        Assert.Contains("outer optimizer's learning rate", error.Message);
        Assert.Null(weightAtOuterStep);   // no progress was reported for the undone step
        Assert.Equal(decayBefore.data<double>().ToArray(), problem.LogDecay.detach().data<double>().ToArray());
        Assert.True(problem.Model.weight.isfinite().all().item<bool>());
    }

    [Fact]
    public void EmptyDataSourceIsAClearError()
    {
        var data = new RidgeData();
        var problem = new RidgeDecay(data.InitialWeight);
        var error = Assert.Throws<HypergradException>(() => problem.Run(Array.Empty<(Tensor, Tensor)>(), Cycle(data.Validation),
            new BilevelOptions { Steps = 5, InnerOptimizer = new DifferentiableSgd(0.1), OuterOptimizer = new DifferentiableSgd(0.1) }));
        Assert.Contains("training data source yields no batches", error.Message);
    }
}
