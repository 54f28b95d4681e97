using TorchSharp;
using Parameter = TorchSharp.Modules.Parameter;
using Linear = TorchSharp.Modules.Linear;
using static TorchSharp.torch;

namespace Hypergrad.Generators.Tests.EndToEnd;

/// <summary>
/// A class written as a user writes it, run through its generated <c>Run</c>, ends with the same outer (and inner)
/// variables, to float64 precision, as the same schedule written by hand with the runtime's own calls.
/// </summary>
public class RunEndToEndTests
{
    private const int Steps = 21, UnrollSteps = 5;

    [Fact]
    public void ImplicitMethodMatchesHandWrittenRuntimeCalls()
    {
        var data = new RidgeData();
        var problem = new RidgeDecay(data.InitialWeight);
        double before = data.ValidationLoss(problem.Model.weight.detach());
        var reports = new List<BilevelProgress>();

        var run = problem.Run(Cycle(data.Train), Cycle(data.Validation), new BilevelOptions
        {
            Steps = Steps,
            UnrollSteps = UnrollSteps,
            InnerOptimizer = new DifferentiableSgd(0.1),
            OuterOptimizer = torch.optim.SGD(new[] { problem.LogDecay }, 0.5, momentum: 0.9),
        }, new SynchronousProgress(reports.Add));

        var (weight, logDecay) = HandWrittenImplicit(data);
        AssertClose(logDecay, problem.LogDecay);
        AssertClose(weight, problem.Model.weight);

        // The run did something: four outer steps (at steps 5, 10, 15, 20), the decays moved, validation improved.
        Assert.Equal(4, run.OuterSteps);
        Assert.Equal(new[] { 6, 11, 16, 21 }, reports.Select(r => r.Step));
        Assert.All(reports, r => Assert.True(r.Converged && r.RelativeResidual <= 1e-12 && r.HessianVectorProducts > 0));
        Assert.True(problem.LogDecay.detach().norm().item<double>() > 1e-3);
        Assert.True(data.ValidationLoss(problem.Model.weight.detach()) < before);
    }

    [Fact]
    public void UsersOwnInnerStepReplacesTheInnerOptimizer()
    {
        // The hand-written step is plain SGD with step 0.1: the run must equal the one with InnerOptimizer = new DifferentiableSgd(0.1).
        var data = new RidgeData();
        var problem = new RidgeDecayWithOwnStep(data.InitialWeight);
        var reports = new List<BilevelProgress>();
        problem.Run(Cycle(data.Train), Cycle(data.Validation), new BilevelOptions
        {
            Steps = Steps,
            UnrollSteps = UnrollSteps,
            OuterOptimizer = torch.optim.SGD(new[] { problem.LogDecay }, 0.5, momentum: 0.9),
        }, new SynchronousProgress(reports.Add));

        var (weight, logDecay) = HandWrittenImplicit(data);
        AssertClose(logDecay, problem.LogDecay);
        AssertClose(weight, problem.Model.weight);
        Assert.All(reports, r => Assert.True(double.IsFinite(r.InnerLoss)));
    }

    [Fact]
    public void UnrolledMethodMatchesHandWrittenRuntimeCallsWithOneTrainingBatchPerInnerStep()
    {
        var data = new RidgeData(seed: 11);
        var problem = new UnrolledRidgeDecay(data.InitialWeight);
        double before = data.ValidationLoss(problem.Model.weight.detach());
        int trainDrawn = 0, validationDrawn = 0;

        var run = problem.Run(Counted(DistinctBatches(data.Train), () => trainDrawn++), Counted(Cycle(data.Validation), () => validationDrawn++), new BilevelOptions
        {
            Steps = Steps,
            InnerOptimizer = new DifferentiableSgd(0.1),
            OuterOptimizer = new DifferentiableAdam(0.05),
        });

        // hypergrad's schedule: every inner step (step 0, and the 4 × 5 steps of the unrolled windows) draws its own
        // training batch, every outer step one validation batch; nothing else is drawn.
        Assert.Equal(Steps, trainDrawn);
        Assert.Equal(4, validationDrawn);
        var (weight, logDecay) = HandWrittenUnrolled(data);
        AssertClose(logDecay, problem.LogDecay);
        AssertClose(weight, problem.Model.weight);
        Assert.Equal(4, run.OuterSteps);
        Assert.Equal(4, run.OuterLosses.Count);
        Assert.True(problem.LogDecay.detach().norm().item<double>() > 1e-3);
        Assert.True(data.ValidationLoss(problem.Model.weight.detach()) < before);
    }

    [Fact]
    public void RecomputeAndTruncatedRunsMatchHandWrittenRuntimeCallsOverTheSameBatches()
    {
        var data = new RidgeData(seed: 12);
        var options = () => new BilevelOptions { Steps = Steps, InnerOptimizer = new DifferentiableSgd(0.1), OuterOptimizer = new DifferentiableAdam(0.05) };

        // Recompute walks back over each window's batches: the run equals the hand-written reverse unroll.
        var recomputed = new RecomputedRidgeDecay(data.InitialWeight);
        recomputed.Run(DistinctBatches(data.Train), Cycle(data.Validation), options());
        var (weight, logDecay) = HandWrittenUnrolled(data);
        AssertClose(logDecay, recomputed.LogDecay);
        AssertClose(weight, recomputed.Model.weight);

        var truncated = new TruncatedRidgeDecay(data.InitialWeight);
        truncated.Run(DistinctBatches(data.Train), Cycle(data.Validation), options());
        var (truncatedWeight, truncatedLogDecay) = HandWrittenUnrolled(data, Method.TruncatedUnroll, truncation: 2);
        AssertClose(truncatedLogDecay, truncated.LogDecay);
        AssertClose(truncatedWeight, truncated.Model.weight);
        Assert.True((truncatedLogDecay - logDecay).abs().max().item<double>() > 1e-6, "truncation changed nothing");
    }

    [Fact]
    public void ComputeHypergradientEqualsTheImplicitEngineAndAccumulatesIntoGrad()
    {
        var data = new RidgeData(seed: 3);
        var problem = new RidgeDecay(data.InitialWeight);
        using var result = problem.ComputeHypergradient(data.Train[0], data.Validation[0]);

        var model = nn.Linear(RidgeData.Features, 1, hasBias: false, dtype: float64);
        using (no_grad()) model.weight.copy_(data.InitialWeight);
        var logDecay = new Parameter(zeros(RidgeData.Features, dtype: float64));
        var inner = new ParameterSet(ParameterSource.FromModule("Model", model));
        var outer = new ParameterSet(ParameterSource.FromTensor("LogDecay", logDecay));
        using var engine = new ImplicitHypergradient(inner, outer, new ConjugateGradient { Iterations = 30, Tolerance = 1e-12 });
        using var expected = engine.Compute(() => RidgeData.Inner(model.weight, logDecay, data.Train[0]),
            () => (model.call(data.Validation[0].x).squeeze(-1) - data.Validation[0].y).pow(2).mean());

        AssertClose(expected["LogDecay"], result["LogDecay"]);
        AssertClose(expected["LogDecay"], problem.LogDecay.grad!);
        Assert.Equal(Method.ConjugateGradient, result.Method);
        Assert.Equal(new[] { "LogDecay" }, result.Gradients.Select(g => g.Name));
    }

    [Fact]
    public void CompositionMatchesTheUnrolledEngineCompose()
    {
        var data = new RidgeData(seed: 13);
        var problem = new AggregatedRidgeDecay(data.InitialWeight);
        problem.BilevelProblem.InnerOptimizer = new DifferentiableSgd(0.1);
        using var result = problem.ComputeHypergradient(data.Train[0], data.Validation[0]);

        var model = nn.Linear(RidgeData.Features, 1, hasBias: false, dtype: float64);
        using (no_grad()) model.weight.copy_(data.InitialWeight);
        var logDecay = new Parameter(zeros(RidgeData.Features, dtype: float64));
        var unrolled = new UnrolledProblem(new ParameterSet(ParameterSource.FromModule("Model", model)), new ParameterSet(ParameterSource.FromTensor("LogDecay", logDecay)),
            () => RidgeData.Inner(model.weight, logDecay, data.Train[0]),
            () => (model.call(data.Validation[0].x).squeeze(-1) - data.Validation[0].y).pow(2).mean(), new DifferentiableSgd(0.1));
        using var expected = UnrolledHypergradient.Compose(unrolled, new[] { Operation.GradientDescentAggregation, Operation.ReverseUnroll },
            new UnrolledOptions { UnrollSteps = 4, AggregationAlpha = 0.3, AggregationDecay = 0.9, CopyFinalIterate = true });

        AssertClose(expected["LogDecay"], result["LogDecay"]);
        AssertClose(expected["LogDecay"], problem.LogDecay.grad!);
        // The inner variables continue from the final iterate of the unroll.
        AssertClose(model.weight, problem.Model.weight);
        Assert.True((model.weight.detach() - data.InitialWeight).abs().max().item<double>() > 1e-6);
    }

    /// <summary>hypergrad's loop by hand: SGD inner steps; at i % 5 == 0 (i &gt; 0) CG hypergradient on the next batches, SGD-momentum outer step.</summary>
    private static (Tensor Weight, Tensor LogDecay) HandWrittenImplicit(RidgeData data)
    {
        var model = nn.Linear(RidgeData.Features, 1, hasBias: false, dtype: float64);
        using (no_grad()) model.weight.copy_(data.InitialWeight);
        var logDecay = new Parameter(zeros(RidgeData.Features, dtype: float64));
        var inner = new ParameterSet(ParameterSource.FromModule("Model", model));
        var outer = new ParameterSet(ParameterSource.FromTensor("LogDecay", logDecay));
        using var engine = new ImplicitHypergradient(inner, outer, new ConjugateGradient { Iterations = 30, Tolerance = 1e-12 });
        var innerOptimizer = new DifferentiableSgd(0.1);
        var innerTensors = new[] { model.weight };
        var state = innerOptimizer.Init(innerTensors);
        var outerOptimizer = torch.optim.SGD(new[] { logDecay }, 0.5, momentum: 0.9);
        int t = 0, v = 0;
        for (int i = 0; i < Steps; i++)
        {
            var batch = data.Train[t++ % data.Train.Length];
            var gradients = Gradients.Of(RidgeData.Inner(model.weight, logDecay, batch), "g", innerTensors, new[] { "Model.weight" });
            innerOptimizer.StepInPlace(innerTensors, gradients, state);
            if (i > 0 && i % UnrollSteps == 0)
            {
                outerOptimizer.zero_grad();
                var innerBatch = data.Train[t++ % data.Train.Length];
                var outerBatch = data.Validation[v++ % data.Validation.Length];
                using var result = engine.Compute(() => RidgeData.Inner(model.weight, logDecay, innerBatch),
                    () => (model.call(outerBatch.x).squeeze(-1) - outerBatch.y).pow(2).mean(), accumulateGrad: true);
                outerOptimizer.step();
            }
        }
        return (model.weight.detach().clone(), logDecay.detach().clone());
    }

    /// <summary>
    /// The unrolled schedule by hand: step 0 is a plain SGD step on training batch 0; each later window of 5 steps is
    /// unrolled by <paramref name="method"/>, step t of window k on training batch 1 + 5k + t (continuing from its final iterate),
    /// then an Adam outer step on validation batch k.
    /// </summary>
    private static (Tensor Weight, Tensor LogDecay) HandWrittenUnrolled(RidgeData data, Method method = Method.ReverseUnroll, int truncation = 0)
    {
        var model = nn.Linear(RidgeData.Features, 1, hasBias: false, dtype: float64);
        using (no_grad()) model.weight.copy_(data.InitialWeight);
        var logDecay = new Parameter(zeros(RidgeData.Features, dtype: float64));
        var inner = new ParameterSet(ParameterSource.FromModule("Model", model));
        var outer = new ParameterSet(ParameterSource.FromTensor("LogDecay", logDecay));
        var innerOptimizer = new DifferentiableSgd(0.1);
        var outerOptimizer = new DifferentiableAdam(0.05);
        var outerState = outerOptimizer.Init(new Tensor[] { logDecay });
        var train = DistinctBatches(data.Train).GetEnumerator();
        (Tensor x, Tensor y) NextTrain() { train.MoveNext(); return train.Current; }
        int v = 0;

        var first = NextTrain();
        var firstGradient = Gradients.Of(RidgeData.Inner(model.weight, logDecay, first), "g", new[] { model.weight }, new[] { "Model.weight" });
        innerOptimizer.StepInPlace(new[] { model.weight }, firstGradient, innerOptimizer.Init(new[] { model.weight }));

        for (int window = 0; window < 4; window++)
        {
            var innerBatches = Enumerable.Range(0, UnrollSteps).Select(_ => NextTrain()).ToArray();
            var outerBatch = data.Validation[v++ % data.Validation.Length];
            var unrolled = new UnrolledProblem(inner, outer,
                step => () => RidgeData.Inner(model.weight, logDecay, innerBatches[step]),
                () => (model.call(outerBatch.x).squeeze(-1) - outerBatch.y).pow(2).mean(), innerOptimizer);
            using var result = UnrolledHypergradient.Compute(unrolled, method,
                new UnrolledOptions { UnrollSteps = UnrollSteps, Truncation = truncation, CopyFinalIterate = true });
            outerOptimizer.StepInPlace(new Tensor[] { logDecay }, new[] { result["LogDecay"] }, outerState);
        }
        return (model.weight.detach().clone(), logDecay.detach().clone());
    }

    internal static IEnumerable<T> Cycle<T>(IReadOnlyList<T> batches)
    {
        for (int i = 0; ; i++) yield return batches[i % batches.Count];
    }

    /// <summary>
    /// An endless source whose i-th batch differs from every other (the base batches cycled, targets shifted by i/10),
    /// the same on every pass. Its targets are created as they are drawn, so in Run they belong to the step's dispose scope.
    /// </summary>
    internal static IEnumerable<(Tensor x, Tensor y)> DistinctBatches(IReadOnlyList<(Tensor x, Tensor y)> batches)
    {
        for (int i = 0; ; i++) yield return (batches[i % batches.Count].x, batches[i % batches.Count].y + 0.1 * i);
    }

    /// <summary>Calls <paramref name="drawn"/> for every batch taken from <paramref name="source"/>.</summary>
    internal static IEnumerable<T> Counted<T>(IEnumerable<T> source, Action drawn)
    {
        foreach (var batch in source)
        {
            drawn();
            yield return batch;
        }
    }

    internal static void AssertClose(Tensor expected, Tensor actual)
    {
        Assert.Equal(ScalarType.Float64, actual.dtype);
        AssertClose(expected, actual, 1e-12);
    }

    internal static void AssertClose(Tensor expected, Tensor actual, double relative)
    {
        var e = expected.detach().reshape(-1);
        var a = actual.detach().reshape(-1);
        double error = (e - a).abs().max().item<double>();
        double scale = e.abs().max().item<double>();
        Assert.True(error <= relative * scale || error == 0, $"max |difference| {error:G3} (scale {scale:G3}); expected {e.str()}, actual {a.str()}");
    }

    /// <summary>Reports synchronously (Progress&lt;T&gt; posts to the thread pool).</summary>
    internal sealed class SynchronousProgress(Action<BilevelProgress> report) : IProgress<BilevelProgress>
    {
        public void Report(BilevelProgress value) => report(value);
    }
}
