using TorchSharp;
using Parameter = TorchSharp.Modules.Parameter;
using Linear = TorchSharp.Modules.Linear;
using static TorchSharp.torch;
using static Hypergrad.Generators.Tests.EndToEnd.RunEndToEndTests;

namespace Hypergrad.Generators.Tests.EndToEnd;

/// <summary>A regression whose inner learning rate exp(LogLr) is the outer variable (reverse unroll).</summary>
[Hypergradient(Method.ReverseUnroll, UnrollSteps = LearnableLearningRateTests.UnrollSteps)]
public partial class LearnedStepSize
{
    public LearnedStepSize(Tensor initialWeight)
    {
        Model = nn.Linear(initialWeight.shape[1], 1, hasBias: false, dtype: float64);
        using (no_grad()) Model.weight.copy_(initialWeight);
        LogLr = new Parameter(tensor(Math.Log(0.05), float64));
    }

    [Inner] public Linear Model { get; }
    [Outer] public Parameter LogLr { get; }

    [InnerObjective] public Tensor TrainLoss(Tensor x, Tensor y) => (Model.call(x).squeeze(-1) - y).pow(2).mean();
    [OuterObjective] public Tensor ValidationLoss(Tensor x, Tensor y) => (Model.call(x).squeeze(-1) - y).pow(2).mean();
}

/// <summary>The same problem with reverse mode and recomputation.</summary>
[Hypergradient(Method.ReverseRecompute, UnrollSteps = LearnableLearningRateTests.UnrollSteps)]
public partial class LearnedStepSizeRecomputed
{
    public LearnedStepSizeRecomputed(Tensor initialWeight)
    {
        Model = nn.Linear(initialWeight.shape[1], 1, hasBias: false, dtype: float64);
        using (no_grad()) Model.weight.copy_(initialWeight);
        LogLr = new Parameter(tensor(Math.Log(0.05), float64));
    }

    [Inner] public Linear Model { get; }
    [Outer] public Parameter LogLr { get; }

    [InnerObjective] public Tensor TrainLoss(Tensor x, Tensor y) => (Model.call(x).squeeze(-1) - y).pow(2).mean();
    [OuterObjective] public Tensor ValidationLoss(Tensor x, Tensor y) => (Model.call(x).squeeze(-1) - y).pow(2).mean();
}

/// <summary>
/// A learning rate that is a function of an outer variable, exp(LogLr), is re-evaluated at every inner step: the
/// hypergradient of every outer step of <c>Run</c> equals the one of a reference unrolled by hand with plain autograd.
/// </summary>
public class LearnableLearningRateTests
{
    public const int UnrollSteps = 3;
    private const int OuterSteps = 10;
    private const double OuterLearningRate = 2.0;

    [Fact]
    public void ReverseUnrollMatchesAHandUnrolledReferenceAtEveryOuterStep()
    {
        var data = new RidgeData();
        var problem = new LearnedStepSize(data.InitialWeight);
        var hypergradients = Run(problem.LogLr, new DifferentiableSgd(() => problem.LogLr.exp()), (options, report) =>
            problem.Run(DistinctBatches(data.Train), Cycle(data.Validation), options, report));
        AssertMatchesReference(data, hypergradients, problem.LogLr);
    }

    [Fact]
    public void ReverseRecomputeMatchesAHandUnrolledReferenceAtEveryOuterStep()
    {
        var data = new RidgeData();
        var problem = new LearnedStepSizeRecomputed(data.InitialWeight);
        var hypergradients = Run(problem.LogLr, new DifferentiableSgd(() => problem.LogLr.exp()), (options, report) =>
            problem.Run(DistinctBatches(data.Train), Cycle(data.Validation), options, report));
        AssertMatchesReference(data, hypergradients, problem.LogLr);
    }

    [Fact]
    public void ALearningRateComputedOnceFromAnOuterVariableIsRefusedWithThePerStepForm()
    {
        var problem = new LearnedStepSize(new RidgeData().InitialWeight);
        var refused = Assert.Throws<HypergradException>(() => new DifferentiableSgd(problem.LogLr.exp()));
        Assert.Contains("learningRate", refused.Message);
        Assert.Contains("() => LogLr.exp()", refused.Message);
        var momentum = Assert.Throws<HypergradException>(() => new DifferentiableSgd(0.1, momentum: problem.LogLr.sigmoid()));
        Assert.Contains("Hyperparameter.PerStep(", momentum.Message);
    }

    /// <summary>Runs 10 outer steps with the per-step learning rate; returns each outer step's dF/dLogLr.</summary>
    private static List<double> Run(Parameter logLr, DifferentiableOptimizer innerOptimizer, Action<BilevelOptions, IProgress<BilevelProgress>> run)
    {
        var hypergradients = new List<double>();
        var options = new BilevelOptions
        {
            // Step 0 is a plain inner step; outer step k differentiates through steps 3k−2 … 3k.
            Steps = 1 + UnrollSteps * OuterSteps,
            InnerOptimizer = innerOptimizer,
            OuterOptimizer = torch.optim.SGD(new[] { logLr }, OuterLearningRate),
        };
        var reports = new List<BilevelProgress>();
        run(options, new SynchronousProgress(report => { reports.Add(report); hypergradients.Add(logLr.grad!.item<double>()); }));
        // Three inner steps end far from the inner solution: the certificate says not converged at every outer step.
        Assert.All(reports, r => Assert.False(r.Converged));
        return hypergradients;
    }

    /// <summary>The same schedule with plain TorchSharp autograd: w ← w − exp(logLr)·∇g, F at the window's end, logLr ← logLr − 2·dF/dlogLr.</summary>
    private static void AssertMatchesReference(RidgeData data, List<double> hypergradients, Parameter trained)
    {
        Assert.Equal(OuterSteps, hypergradients.Count);
        using var train = DistinctBatches(data.Train).GetEnumerator();
        using var validation = Cycle(data.Validation).GetEnumerator();
        (Tensor x, Tensor y) Next(IEnumerator<(Tensor x, Tensor y)> source) { source.MoveNext(); return source.Current; }
        static Tensor Loss(Tensor w, (Tensor x, Tensor y) b) => (b.x.matmul(w) - b.y).pow(2).mean();

        double logLr = Math.Log(0.05);
        var w = data.InitialWeight.squeeze(0).clone();
        using (no_grad())
        {
            var first = w.requires_grad_(true);
            using (enable_grad())
            {
                var g = torch.autograd.grad([Loss(first, Next(train))], [first])[0];
                w = (first - Math.Exp(logLr) * g).detach();
            }
        }
        for (int k = 0; k < OuterSteps; k++)
        {
            var leaf = tensor(logLr, float64, requires_grad: true);
            var current = w.detach().requires_grad_(true);
            for (int t = 0; t < UnrollSteps; t++)
            {
                var g = torch.autograd.grad([Loss(current, Next(train))], [current], create_graph: true, retain_graph: true)[0];
                current = current - leaf.exp() * g;
            }
            double expected = torch.autograd.grad([Loss(current, Next(validation))], [leaf])[0].item<double>();
            double actual = hypergradients[k];
            Assert.True(Math.Abs(actual - expected) <= 1e-12 * Math.Max(1, Math.Abs(expected)),
                $"outer step {k + 1}: Run's hypergradient {actual:R}, hand-unrolled {expected:R}");
            logLr -= OuterLearningRate * expected;
            w = current.detach();
        }
        // The learning rate moved far enough that one evaluated once would be visibly wrong from the second outer step.
        Assert.True(Math.Abs(logLr - Math.Log(0.05)) > 0.1, $"LogLr barely moved ({Math.Log(0.05)} → {logLr})");
        Assert.Equal(logLr, trained.item<double>(), 12);
    }
}
