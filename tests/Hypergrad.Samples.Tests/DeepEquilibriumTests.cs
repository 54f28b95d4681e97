using DeepEquilibrium;
using Hypergrad.Solving;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using static TorchSharp.torch.nn.functional;

namespace Hypergrad.Samples.Tests;

public class DeepEquilibriumTests
{
    [Fact]
    public void The_implicitly_trained_equilibrium_classifies_well_above_chance_and_is_a_true_fixed_point()
    {
        // The README run shortened: 3000 training and 500 validation images, 32 equilibrium units, 150 steps of 100 images,
        // the MLP's step size chosen on validation from two values.
        var settings = new DeepEquilibriumSettings
        {
            TrainCount = 3000, ValidationCount = 500, TestCount = 2000, BatchSize = 100, Hidden = 32, OuterSteps = 150, UnrollSteps = 20,
            EvaluationInterval = 50, CurveTestCount = 500, OutputDirectory = null, MlpLearningRates = [2e-3, 8e-3],
        };

        var report = DeepEquilibriumSample.Run(settings, TextWriter.Null);

        var (deq, unrolled, mlp) = (report.Rows[0], report.Rows[1], report.Rows[2]);
        // Ten classes: chance is 10 %.
        Assert.True(deq.TestAccuracy > 0.7, $"DEQ test accuracy {deq.TestAccuracy:P1}");
        // Implicit and unrolled training follow (nearly) the same gradients from the same start on the same batches.
        Assert.True(Math.Abs(deq.TestAccuracy - unrolled.TestAccuracy) < 0.03, $"DEQ {deq.TestAccuracy:P1} vs unrolled {unrolled.TestAccuracy:P1}");
        // The DEQ classifies from a fixed point; a one-iteration network's state is far from one.
        Assert.True(deq.Residual < 1e-4, $"DEQ residual {deq.Residual:G3}");
        Assert.True(mlp.Residual > 100 * deq.Residual, $"MLP residual {mlp.Residual:G3} vs DEQ {deq.Residual:G3}");
        // Every forward, backward and evaluation solve met its tolerance: the gradients are the equilibrium's to 1e-5.
        Assert.Equal(0, report.Solves.NotConverged);
        Assert.Equal(settings.OuterSteps, report.Solves.TrainingSteps);
        Assert.True(report.Solves.Evaluations >= 5, report.Solves.ToString());   // 3 curve points, test and validation
        Assert.True(report.MaxBackwardResidual <= EquilibriumTraining.BackwardTolerance, $"backward residual {report.MaxBackwardResidual:G3}");
        Assert.Empty(report.Warnings);
        // The MLP row is the candidate with the best validation accuracy (the test set never chooses).
        Assert.Equal(report.MlpCandidates.Max(m => m.ValidationAccuracy), mlp.ValidationAccuracy);
        Assert.Equal(settings.MlpLearningRates, report.MlpCandidates.Select(m => m.LearningRate));
        Assert.Equal(new[] { 50, 100, 150 }, deq.Curve.Select(p => p.Step));
    }

    [Theory]
    [InlineData(Method.FixedPoint)]
    [InlineData(Method.ConjugateGradientNormal)]
    public void The_implicit_gradient_equals_backpropagation_through_many_iterations(Method backward)
    {
        // A tiny float64 network with γ = 0.5: 200 unrolled iterations reach the fixed point to 0.5²⁰⁰, so
        // backpropagating through them gives the exact equilibrium gradient to rounding. The sample's classes solve
        // forward and backward to a relative 1e-5, so their gradient is that accurate; the same map and loss solved to
        // 1e-15 and 1e-14 (the generated problem's pieces with tighter settings) give it to rounding.
        manual_seed(3);
        var network = new EquilibriumNetwork(features: 3, hidden: 5, classes: 2, contraction: 0.5);
        network.to(float64);
        var x = randn(4, 3, dtype: float64);
        var y = tensor(new long[] { 0, 1, 1, 0 });
        var training = DeepEquilibriumSample.Training(network, batchSize: 4, backward);

        using var implicitGradient = training.ComputeHypergradient((x, y));
        var forward = training.BilevelProblem.LastEquilibrium!;
        var generated = training.BilevelProblem;
        var precise = new FixedPointProblem<(Tensor x, Tensor y)>("precise", new HypergradientSettings(backward)
            {
                Iterations = 200, Tolerance = 1e-14, EquilibriumIterations = 500, EquilibriumTolerance = 1e-15,
            },
            generated.InnerVariables, generated.OuterVariables, generated.FixedPointMap, generated.OuterObjective);
        using var preciseGradient = precise.ComputeHypergradient((x, y));
        network.zero_grad();

        Assert.True(forward.Converged && forward.RelativeResidual <= EquilibriumTraining.ForwardTolerance, forward.ToString());
        Assert.True(implicitGradient.Converged, implicitGradient.ToString());
        Assert.Equal(backward, implicitGradient.Method);
        var unrolled = UnrolledGradients(network, x, y, iterations: 200);
        var truncated = UnrolledGradients(network, x, y, iterations: 3);
        Assert.Equal(unrolled.Keys.Order(), implicitGradient.Gradients.Select(g => g.Name).Order());
        Assert.True(preciseGradient.Converged && precise.LastEquilibrium!.RelativeResidual <= 1e-15, preciseGradient.ToString());
        double worst = 0, preciseWorst = 0, truncatedWorst = 0;
        foreach (var (name, reference) in unrolled)
        {
            double scale = reference.abs().max().ToDouble();
            worst = Math.Max(worst, (implicitGradient[name] - reference).abs().max().ToDouble() / scale);
            preciseWorst = Math.Max(preciseWorst, (preciseGradient[name] - reference).abs().max().ToDouble() / scale);
            truncatedWorst = Math.Max(truncatedWorst, (truncated[name] - reference).abs().max().ToDouble() / scale);
        }
        Assert.True(worst < 1e-4, $"implicit vs unrolled: relative difference {worst:G3}");
        Assert.True(preciseWorst < 1e-10, $"implicit (tight tolerances) vs unrolled: relative difference {preciseWorst:G3}");
        // The comparison is sharp: backpropagating through only 3 iterations misses the equilibrium gradient.
        Assert.True(truncatedWorst > 1e-3, $"3 iterations vs 200: relative difference {truncatedWorst:G3}");
    }

    [Fact]
    public void Training_steps_do_not_accumulate_tensors()
    {
        manual_seed(4);
        var network = new EquilibriumNetwork(features: 6, hidden: 8, classes: 3, contraction: 0.9);
        var x = randn(10, 6);
        var y = randint(3, 10);
        var training = DeepEquilibriumSample.Training(network, batchSize: 10, Method.FixedPoint);
        using var optimizer = optim.Adam(network.parameters(), 0.01);
        BilevelRunResult Train(int steps) => training.Run(new[] { (x, y) }, new BilevelOptions { Steps = steps, OuterOptimizer = optimizer });
        Train(1);   // the problem, its solver and Adam's state are created on the first step
        UnrolledTraining.Step(network, 3, x, y, optimizer);

        const int steps = 20;
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (int i = 0; i < steps; i++) UnrolledTraining.Step(network, 3, x, y, optimizer);
        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
        Assert.Equal(steps, Train(steps).OuterSteps);
        // The loss does not use U, b, W (3 tensors) and f does not use H, c (2): autograd answers each such pair with an
        // empty wrapper (no native memory) that TorchSharp counts as live for good. Anything more would be a real leak.
        Assert.InRange(DisposeScopeManager.Statistics.ThreadTotalLiveCount - before, 0, 5 * steps);

        var wrongSize = Assert.Throws<HypergradException>(() => training.ComputeHypergradient((randn(7, 6), randint(3, 7))));
        Assert.Contains("rows", wrongSize.Message);
    }

    /// <summary>dL/dθ by ordinary backpropagation through <paramref name="iterations"/> applications of f from z = 0.</summary>
    static Dictionary<string, Tensor> UnrolledGradients(EquilibriumNetwork network, Tensor x, Tensor y, int iterations)
    {
        network.zero_grad();
        cross_entropy(network.Logits(network.Unroll(x, iterations)), y).backward();
        var gradients = network.named_parameters().ToDictionary(p => "Network." + p.name, p => p.parameter.grad!.clone());
        network.zero_grad();
        return gradients;
    }
}
