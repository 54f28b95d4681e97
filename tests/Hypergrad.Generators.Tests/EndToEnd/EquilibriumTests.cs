using static Hypergrad.Generators.Tests.EndToEnd.RunEndToEndTests;
using static TorchSharp.torch;
using static TorchSharp.torch.nn.functional;
using TorchSharp;
using TorchSharp.Modules;

namespace Hypergrad.Generators.Tests.EndToEnd;

/// <summary>
/// [FixedPointMap] problems through the generated API equal hand-written runtime calls (an equilibrium found by a
/// plain loop, then ComputeWithFixedPointMap) to 1e-12 in float64, and their implicit gradient equals backpropagation
/// through many unrolled iterations of the map.
/// </summary>
public class EquilibriumTests
{
    private const int Hidden = TinyEquilibrium.Hidden;

    /// <summary>A batch (x, y) of <see cref="TinyEquilibrium.Rows"/> rows.</summary>
    private static (Tensor x, Tensor y) Batch(int seed)
    {
        var generator = new torch.Generator((ulong)seed);
        return (randn(TinyEquilibrium.Rows, TinyEquilibrium.Features, dtype: float64, generator: generator),
                randint(TinyEquilibrium.Classes, TinyEquilibrium.Rows, generator: generator));
    }

    /// <summary>The hand-written model: the same parameters as a DSL instance, in separate tensors.</summary>
    private sealed record Reference(Parameter Recurrent, Parameter Injection, Parameter Head, Tensor State)
    {
        public static Reference Of(Tensor recurrent, Tensor injection, Tensor head) =>
            new(new Parameter(recurrent.detach().clone()), new Parameter(injection.detach().clone()), new Parameter(head.detach().clone()),
                zeros(TinyEquilibrium.Rows, Hidden, dtype: float64));

        public Parameter[] Parameters => new[] { Recurrent, Injection, Head };

        public Tensor Map(Tensor z, Tensor x) => tanh(z.matmul((0.5 * tanh(Recurrent) / Hidden).t()) + x.matmul(Injection.t()));

        public Tensor Loss(Tensor state, Tensor y) => cross_entropy(state.matmul(Head.t()), y);

        /// <summary>The equilibrium by a plain loop: 200 iterations of a 0.5-contraction reach it to 0.5²⁰⁰.</summary>
        public void SolveEquilibrium(Tensor x)
        {
            using var noGrad = no_grad();
            var z = zeros_like(State);
            for (int i = 0; i < 200; i++) z = Map(z, x);
            State.copy_(z);
        }

        /// <summary>dL/dθ by backpropagating through <paramref name="iterations"/> applications of the map from zero.</summary>
        public Tensor[] Unrolled(Tensor x, Tensor y, int iterations)
        {
            var z = zeros_like(State);
            for (int i = 0; i < iterations; i++) z = Map(z, x);
            return torch.autograd.grad(new[] { Loss(z, y) }, Parameters).ToArray();
        }
    }

    [Fact]
    public void ComputeHypergradientEqualsHandWrittenComputeWithFixedPointMap()
    {
        var problem = new TinyEquilibrium(seed: 1);
        var reference = Reference.Of(problem.Recurrent, problem.Injection, problem.Head);
        var (x, y) = Batch(2);

        using var generated = problem.ComputeHypergradient((x, y));

        reference.SolveEquilibrium(x);
        using var inner = new ParameterSet(ParameterSource.FromTensor("State", reference.State));
        using var outer = new ParameterSet(ParameterSource.FromTensor("Recurrent", reference.Recurrent),
            ParameterSource.FromTensor("Injection", reference.Injection), ParameterSource.FromTensor("Head", reference.Head));
        using var engine = new ImplicitHypergradient(inner, outer, new FixedPoint { Iterations = 300, Tolerance = 1e-14 });
        using var handWritten = engine.ComputeWithFixedPointMap(
            z => reference.Map(z.view(TinyEquilibrium.Rows, Hidden), x).reshape(-1), () => reference.Loss(reference.State, y));

        Assert.Equal(new[] { "Recurrent", "Injection", "Head" }, generated.Gradients.Select(g => g.Name));
        Assert.True(generated.Converged, generated.ToString());
        foreach (var name in new[] { "Recurrent", "Injection", "Head" })
            AssertClose(handWritten[name], generated[name]);
        // The gradient went into .grad, and the [Inner] state holds the equilibrium.
        AssertClose(handWritten["Recurrent"], problem.Recurrent.grad!);
        AssertClose(reference.State, problem.State);
        var equilibrium = problem.BilevelProblem.LastEquilibrium!;
        Assert.True(equilibrium.Converged && equilibrium.RelativeResidual <= 1e-15 && equilibrium.Iterations > 10, equilibrium.ToString());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ImplicitGradientEqualsBackpropagationThroughManyUnrolledIterations(bool mapPerBatch)
    {
        var (x, y) = Batch(3);
        HypergradientResult result;
        Reference reference;
        if (mapPerBatch)
        {
            var problem = new TinyEquilibriumPerBatch(seed: 4);
            reference = Reference.Of(problem.Recurrent, problem.Injection, problem.Head);
            result = problem.ComputeHypergradient((x, y));
        }
        else
        {
            var problem = new TinyEquilibrium(seed: 4);
            reference = Reference.Of(problem.Recurrent, problem.Injection, problem.Head);
            result = problem.ComputeHypergradient((x, y));
        }
        using (result)
        {
            Assert.True(result.Converged, result.ToString());
            var unrolled = reference.Unrolled(x, y, iterations: 200);
            var truncated = reference.Unrolled(x, y, iterations: 3);
            for (int i = 0; i < 3; i++)
            {
                AssertClose(unrolled[i], result.Gradients[i].Tensor, 1e-10);
                // The comparison is sharp: three iterations miss the equilibrium gradient.
                double miss = (truncated[i] - unrolled[i]).abs().max().item<double>() / unrolled[i].abs().max().item<double>();
                Assert.True(miss > 1e-3, $"{result.Gradients[i].Name}: 3 iterations vs 200 differ by only {miss:G3}");
            }
        }
    }

    [Fact]
    public void RunEqualsHandWrittenTrainingOverBatches()
    {
        var problem = new TinyEquilibrium(seed: 5);
        var reference = Reference.Of(problem.Recurrent, problem.Injection, problem.Head);
        var batches = new[] { Batch(6), Batch(7), Batch(8) };
        var reports = new List<BilevelProgress>();

        var run = problem.Run(batches, new BilevelOptions
        {
            Steps = 5,
            OuterOptimizer = torch.optim.SGD(new[] { problem.Recurrent, problem.Injection, problem.Head }, 0.5),
            AfterOuterStep = reports.Add,
        });

        using var inner = new ParameterSet(ParameterSource.FromTensor("State", reference.State));
        using var outer = new ParameterSet(ParameterSource.FromTensor("Recurrent", reference.Recurrent),
            ParameterSource.FromTensor("Injection", reference.Injection), ParameterSource.FromTensor("Head", reference.Head));
        using var engine = new ImplicitHypergradient(inner, outer, new FixedPoint { Iterations = 300, Tolerance = 1e-14 });
        var optimizer = torch.optim.SGD(reference.Parameters, 0.5);
        var losses = new List<double>();
        for (int step = 0; step < 5; step++)
        {
            var (x, y) = batches[step % batches.Length];   // the data source restarts when exhausted
            optimizer.zero_grad();
            reference.SolveEquilibrium(x);
            using var result = engine.ComputeWithFixedPointMap(
                z => reference.Map(z.view(TinyEquilibrium.Rows, Hidden), x).reshape(-1), () => reference.Loss(reference.State, y), accumulateGrad: true);
            using (no_grad()) losses.Add(reference.Loss(reference.State, y).item<double>());
            optimizer.step();
        }

        Assert.Equal(5, run.OuterSteps);
        Assert.Equal(new[] { 1, 2, 3, 4, 5 }, reports.Select(r => r.Step));
        Assert.Equal(losses.Count, run.OuterLosses.Count);
        for (int i = 0; i < losses.Count; i++) Assert.Equal(losses[i], run.OuterLosses[i], 1e-12);
        Assert.All(reports, r => Assert.True(r.Converged && r.EquilibriumIterations > 10 && r.EquilibriumResidual <= 1e-15 && double.IsNaN(r.InnerLoss), r.ToString()));
        AssertClose(reference.Recurrent, problem.Recurrent);
        AssertClose(reference.Injection, problem.Injection);
        AssertClose(reference.Head, problem.Head);
        Assert.True((problem.Head - Reference.Of(new TinyEquilibrium(5).Recurrent, new TinyEquilibrium(5).Injection, new TinyEquilibrium(5).Head).Head)
            .abs().max().item<double>() > 1e-3, "training moved the parameters");
        Assert.True(run.OuterLosses[3] < run.OuterLosses[0], "the loss on the first batch went down");
    }

    [Theory]
    [InlineData(Method.Exact)]
    [InlineData(Method.Neumann)]
    [InlineData(Method.ConjugateGradientNormal)]
    public void EveryMethodThatAcceptsAGeneralMatrixGivesTheSameGradient(Method method)
    {
        var problem = new TinyEquilibrium(seed: 13);
        var batch = Batch(14);
        using var fixedPoint = problem.ComputeHypergradient(batch);
        // The generated problem's own variables, map and loss, with another linear-system method.
        var generated = problem.BilevelProblem;
        var other = new FixedPointProblem<(Tensor x, Tensor y)>("Other", new HypergradientSettings(method)
            {
                Iterations = 300, Tolerance = 1e-14, EquilibriumIterations = 500, EquilibriumTolerance = 1e-15,
            },
            generated.InnerVariables, generated.OuterVariables, generated.FixedPointMap, generated.OuterObjective);
        using var result = other.ComputeHypergradient(batch);
        Assert.Equal(method, result.Method);
        for (int i = 0; i < 3; i++) AssertClose(fixedPoint.Gradients[i].Tensor, result.Gradients[i].Tensor, 1e-10);
    }

    [Theory]
    [InlineData(Method.ConjugateGradient)]
    [InlineData(Method.Nystrom)]
    [InlineData(Method.OptimizerSolve)]
    [InlineData(Method.ReverseUnroll)]
    public void MethodsThatNeedASymmetricMatrixAreRefusedAtRunTimeToo(Method method)
    {
        var generated = new TinyEquilibrium(seed: 15).BilevelProblem;
        var refused = Assert.Throws<HypergradException>(() => new FixedPointProblem<(Tensor x, Tensor y)>("Other", new HypergradientSettings(method),
            generated.InnerVariables, generated.OuterVariables, generated.FixedPointMap, generated.OuterObjective));
        Assert.Contains($"Method.{method}", refused.Message);
        Assert.Contains("FixedPoint, ConjugateGradientNormal, Neumann or Exact", refused.Message);
    }

    [Fact]
    public void RunResumedAfterCancellationEqualsUninterruptedRun()
    {
        // Warm-started forward solves and Adam: the resumed run needs the saved state, moments and batch position.
        var batches = new[] { Batch(21), Batch(22), Batch(23), Batch(24) };   // 4 batches: resuming after 3 must skip 3
        BilevelOptions Options(TinyEquilibriumPerBatch problem, string? path, Action<BilevelProgress>? after = null) => new()
        {
            Steps = 7,
            OuterOptimizer = torch.optim.Adam(new[] { problem.Recurrent, problem.Injection, problem.Head }, 0.05),
            CheckpointPath = path,
            AfterOuterStep = after,
        };
        var reference = new TinyEquilibriumPerBatch(seed: 20);
        var full = reference.Run(batches, Options(reference, null));

        string folder = Directory.CreateTempSubdirectory("hypergrad-equilibrium-").FullName;
        try
        {
            string path = Path.Combine(folder, "deq.ckpt");
            var interrupted = new TinyEquilibriumPerBatch(seed: 20);
            using var cancellation = new CancellationTokenSource();
            Assert.ThrowsAny<OperationCanceledException>(() => interrupted.Run(batches,
                Options(interrupted, path, report => { if (report.Step == 3) cancellation.Cancel(); }), cancellationToken: cancellation.Token));

            var resumed = new TinyEquilibriumPerBatch(seed: 20);
            var rest = resumed.Run(batches, Options(resumed, path));

            Assert.Equal(3, rest.ResumedFromStep);
            Assert.Equal(full.OuterLosses, rest.OuterLosses);
            AssertClose(reference.Recurrent, resumed.Recurrent);
            AssertClose(reference.Head, resumed.Head);
            AssertClose(reference.State, resumed.State);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void WarmStartResumesFromTheCurrentEquilibrium()
    {
        var warm = new TinyEquilibriumPerBatch(seed: 9);
        var batch = Batch(10);
        warm.ComputeHypergradient(batch).Dispose();
        int cold = warm.BilevelProblem.LastEquilibrium!.Iterations;
        using var second = warm.ComputeHypergradient(batch);
        // Already at the equilibrium: one application of the map confirms it.
        Assert.True(cold > 10 && warm.BilevelProblem.LastEquilibrium!.Iterations <= 2, $"cold {cold}, warm {warm.BilevelProblem.LastEquilibrium!.Iterations}");
    }

    [Fact]
    public void MisuseRaisesHypergradExceptionsNamingTheProblem()
    {
        var problem = new TinyEquilibrium(seed: 11);
        var optimizer = torch.optim.SGD(new[] { problem.Head }, 0.1);
        var withInnerOptimizer = Assert.Throws<HypergradException>(() =>
            problem.Run(new[] { Batch(12) }, new BilevelOptions { Steps = 1, OuterOptimizer = optimizer, InnerOptimizer = new DifferentiableSgd(0.1) }));
        Assert.Contains("InnerOptimizer", withInnerOptimizer.Message);
        Assert.Contains("Layer", withInnerOptimizer.Message);

        var (x, y) = (randn(TinyEquilibrium.Rows + 1, TinyEquilibrium.Features, dtype: float64), randint(2, TinyEquilibrium.Rows + 1));
        var wrongSize = Assert.Throws<HypergradException>(() => problem.ComputeHypergradient((x, y)));
        Assert.Contains("shape", wrongSize.Message);
        Assert.Contains("Layer", wrongSize.Message);
        Assert.Null(problem.Head.grad);
    }
}
