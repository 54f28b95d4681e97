using static Hypergrad.Generators.Tests.EndToEnd.RunEndToEndTests;
using static TorchSharp.torch;
using Linear = TorchSharp.Modules.Linear;
using TorchSharp;

namespace Hypergrad.Generators.Tests.EndToEnd;

/// <summary>
/// Meta-learning through the DSL: an inner model reset to its [Outer] meta-initialization before every outer step
/// (iMAML by CG, MAML by reverse mode with respect to the initialization) equals the same loop written by hand.
/// </summary>
public class MetaLearningTests
{
    private const int Steps = 10;

    [Fact]
    public void ImplicitMamlMatchesHandWrittenRuntimeCalls()
    {
        var data = new RidgeData(seed: 31);
        var problem = new ImplicitMaml(data.InitialWeight);
        var run = RunThroughDsl(problem, data, problem.Run);
        var (adapted, metaInit, inner, outer) = HandWrittenModels(data);
        using var engine = new ImplicitHypergradient(inner, outer, new ConjugateGradient { Iterations = 20, Tolerance = 1e-12 });
        var optimizer = torch.optim.SGD(metaInit.parameters(), 0.2);
        Tensor Support((Tensor x, Tensor y) b) =>
            (adapted.call(b.x).squeeze(-1) - b.y).pow(2).mean() + ImplicitMaml.Proximal / 2 * (adapted.weight - metaInit.weight).pow(2).sum();
        var sgd = new DifferentiableSgd(0.1);
        var state = sgd.Init(new[] { adapted.weight });
        int t = 0, v = 0;
        Reset(adapted, metaInit);
        for (int i = 0; i < Steps; i++)
        {
            var batch = data.Train[t++ % data.Train.Length];
            sgd.StepInPlace(new[] { adapted.weight }, Gradients.Of(Support(batch), "g", new[] { adapted.weight }, new[] { "w" }), state);
            if (i > 0 && i % 3 == 0)
            {
                optimizer.zero_grad();
                var innerBatch = data.Train[t++ % data.Train.Length];
                var outerBatch = data.Validation[v++ % data.Validation.Length];
                using var result = engine.Compute(() => Support(innerBatch), () => Query(adapted, outerBatch), accumulateGrad: true);
                optimizer.step();
                Reset(adapted, metaInit);
            }
        }

        Assert.Equal(3, run.OuterSteps);
        AssertClose(metaInit.weight, problem.MetaInit.weight);
        AssertClose(adapted.weight, problem.Adapted.weight);
        Assert.True((problem.MetaInit.weight.detach() - data.InitialWeight).abs().max().item<double>() > 1e-4, "the meta-initialization moved");
    }

    [Fact]
    public void MamlMatchesHandWrittenRuntimeCalls()
    {
        var data = new RidgeData(seed: 37);
        var problem = new Maml(data.InitialWeight);
        int trainDrawn = 0;
        var run = RunThroughDsl(problem, data, problem.Run, Counted(DistinctBatches(data.Train), () => trainDrawn++));
        Assert.Equal(9, trainDrawn);   // three windows of three steps; step 0 (outside every window) is skipped
        var (adapted, metaInit, inner, outer) = HandWrittenModels(data);
        var optimizer = torch.optim.SGD(metaInit.parameters(), 0.2);
        // Steps outside the windows (here step 0) are skipped and draw nothing: window k's step j uses training batch
        // 3k + j, its outer step validation batch k.
        var train = DistinctBatches(data.Train).GetEnumerator();
        int v = 0;
        for (int outerStep = 0; outerStep < 3; outerStep++)
        {
            optimizer.zero_grad();
            var innerBatches = Enumerable.Range(0, 3).Select(_ => { train.MoveNext(); return train.Current; }).ToArray();
            var outerBatch = data.Validation[v++ % data.Validation.Length];
            Reset(adapted, metaInit);
            var unrolled = new UnrolledProblem(inner, outer,
                step => () => Query(adapted, innerBatches[step]), () => Query(adapted, outerBatch), new DifferentiableSgd(0.1));
            using var result = UnrolledHypergradient.Compose(unrolled, new[] { Operation.InitializationUnroll },
                new UnrolledOptions { UnrollSteps = 3, CopyFinalIterate = true });
            using (no_grad()) metaInit.weight.grad = result["Adapted.weight"].clone();   // dF/dθ through w₀ = θ
            optimizer.step();
        }
        Reset(adapted, metaInit);

        Assert.Equal(3, run.OuterSteps);
        AssertClose(metaInit.weight, problem.MetaInit.weight);
        Assert.True((problem.MetaInit.weight.detach() - data.InitialWeight).abs().max().item<double>() > 1e-4, "the meta-initialization moved");
        // θ enters only through w₀ = θ: the composition's own "exactly zero" warning about θ is about its direct part and
        // must not reach the user, whose θ does get a (nonzero) gradient.
        Assert.DoesNotContain(run.Warnings, w => w.FirstMessage.Contains("exactly zero"));
    }

    private delegate BilevelRunResult RunMethod(IEnumerable<(Tensor x, Tensor y)> train, IEnumerable<(Tensor x, Tensor y)> validation,
        BilevelOptions options, IProgress<BilevelProgress>? progress = null, CancellationToken cancellationToken = default);

    /// <summary>The user's side: the generated Run with SGD inside and torch.optim SGD on the meta-initialization.</summary>
    private static BilevelRunResult RunThroughDsl(MetaModels problem, RidgeData data, RunMethod run, IEnumerable<(Tensor x, Tensor y)>? train = null) =>
        run(train ?? Cycle(data.Train), Cycle(data.Validation), new BilevelOptions
        {
            Steps = Steps, InnerOptimizer = new DifferentiableSgd(0.1),
            OuterOptimizer = torch.optim.SGD(problem.MetaInit.parameters(), 0.2),
        });

    /// <summary>The hand-written side's models and parameter sets, built like the user's.</summary>
    private static (Linear Adapted, Linear MetaInit, ParameterSet Inner, ParameterSet Outer) HandWrittenModels(RidgeData data)
    {
        var adapted = nn.Linear(RidgeData.Features, 1, hasBias: false, dtype: float64);
        var metaInit = nn.Linear(RidgeData.Features, 1, hasBias: false, dtype: float64);
        using (no_grad()) metaInit.weight.copy_(data.InitialWeight);
        return (adapted, metaInit, new ParameterSet(ParameterSource.FromModule("Adapted", adapted)), new ParameterSet(ParameterSource.FromModule("MetaInit", metaInit)));
    }

    private static Tensor Query(Linear model, (Tensor x, Tensor y) b) => (model.call(b.x).squeeze(-1) - b.y).pow(2).mean();

    private static void Reset(Linear adapted, Linear metaInit)
    {
        using (no_grad()) adapted.weight.copy_(metaInit.weight);
    }
}
