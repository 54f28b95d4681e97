using System;
using System.IO;
using System.Linq;
using Hypergrad.Implicit;
using Hypergrad.Optimizers;
using Hypergrad.Parameters;
using Hypergrad.Samples;
using Hypergrad.Unrolled;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Hypergrad.Benchmarks;

/// <summary>
/// Native memory of one hypergradient on an MLP with about 100k parameters: reverse unroll keeps T step
/// graphs, reverse with recompute keeps only the trajectory, and implicit methods (which start from the
/// final iterate) do not depend on T at all. Footprint: <see cref="MemoryFootprint"/> (peak resident memory during
/// the computation minus resident memory before it, so it counts everything libtorch allocates, autograd graphs included).
/// </summary>
sealed class UnrolledMemoryBenchmark
{
    const int Batch = 256, InputSize = 100, Hidden = 256, Classes = 10;
    readonly Sequential model;
    readonly Tensor logDecay;
    readonly ParameterSet inner, outer;
    readonly Tensor x, y, xValidation, yValidation;

    public UnrolledMemoryBenchmark(int seed = 0)
    {
        manual_seed(seed);
        model = nn.Sequential(nn.Linear(InputSize, Hidden), nn.Tanh(), nn.Linear(Hidden, Hidden), nn.Tanh(), nn.Linear(Hidden, Classes));
        logDecay = full(1, -4.0).requires_grad_(true);
        inner = new ParameterSet(("Model", model));
        outer = new ParameterSet(("LogDecay", logDecay));
        x = randn(Batch, InputSize); y = randint(Classes, Batch);
        xValidation = randn(Batch, InputSize); yValidation = randint(Classes, Batch);
    }

    public long Parameters => inner.Size;

    Tensor InnerLoss() => F.cross_entropy(model.call(x), y) + 0.5 * logDecay.exp() * inner.Select(v => v.Tensor.pow(2).sum()).Aggregate((a, b) => a + b);
    Tensor OuterLoss() => F.cross_entropy(model.call(xValidation), yValidation);

    public void Run(TextWriter output, int shortSteps = 50, int longSteps = 200)
    {
        output.WriteLine($"Unrolled vs implicit memory: MLP {InputSize}-{Hidden}-{Hidden}-{Classes}, {Parameters} inner parameters (float32), batch {Batch}, SGD inner steps.");
        var problem = new UnrolledProblem(inner, outer, InnerLoss, OuterLoss, new DifferentiableSgd(0.05));
        long Unrolled(Method method, int steps) =>
            Footprint(() => UnrolledHypergradient.Compute(problem, method, new UnrolledOptions { UnrollSteps = steps }).Dispose());
        long Implicit(int steps) => Footprint(() =>
        {
            // The inner loop in place (no graph), then CG at the final iterate; the values are put back afterwards.
            using var saved = inner.Flat.detach().clone();
            var sgd = new DifferentiableSgd(0.05);
            var state = sgd.Init([inner.Flat]);
            for (int t = 0; t < steps; t++)
            {
                using var scope = NewDisposeScope();
                var w = inner.CreateLeaf();
                Tensor loss;
                using (inner.Substitute(w)) loss = InnerLoss();
                sgd.StepInPlace([inner.Flat], [Autograd.Gradients.Of(loss, "inner objective", [w], ["inner"])[0]], state);
            }
            using var engine = new ImplicitHypergradient(inner, outer, new ConjugateGradient { Iterations = 20, Tolerance = 0 });
            engine.Compute(InnerLoss, OuterLoss).Dispose();
            using (no_grad()) inner.Flat.copy_(saved);
        });

        Unrolled(Method.ReverseUnroll, 5);   // warm-up: libtorch and JIT one-time allocations
        var unrollLong = Unrolled(Method.ReverseUnroll, longSteps);
        var unrollShort = Unrolled(Method.ReverseUnroll, shortSteps);
        var recomputeLong = Unrolled(Method.ReverseRecompute, longSteps);
        var recomputeShort = Unrolled(Method.ReverseRecompute, shortSteps);
        var implicitLong = Implicit(longSteps);
        var implicitShort = Implicit(shortSteps);
        double weights = Parameters * 4.0;

        output.WriteLine();
        output.WriteLine($"| method | footprint T={shortSteps} | footprint T={longSteps} | growth T={longSteps} / T={shortSteps} |");
        output.WriteLine("|---|---|---|---|");
        void Row(string name, long small, long large) =>
            output.WriteLine($"| {name} | {small / weights:F0} × weights | {large / weights:F0} × weights | {(double)large / Math.Max(small, 1):F2} |");
        Row("ReverseUnroll", unrollShort, unrollLong);
        Row("ReverseRecompute", recomputeShort, recomputeLong);
        Row("ConjugateGradient (20 iterations)", implicitShort, implicitLong);
        output.WriteLine();
        output.WriteLine($"At T = {longSteps}: ReverseUnroll / ReverseRecompute = {(double)unrollLong / Math.Max(recomputeLong, 1):F1}; " +
                         $"ReverseUnroll / ConjugateGradient = {(double)unrollLong / Math.Max(implicitLong, 1):F1}. " +
                         $"(\"× weights\": footprint over the size of one copy of the weights, {weights / 1e6:F2} MB.)");
    }

    /// <summary>The peak native memory <paramref name="action"/> adds (the samples' measurement); this benchmark needs it.</summary>
    static long Footprint(Action action) =>
        MemoryFootprint.Measure(action) ?? throw new PlatformNotSupportedException(
            "The memory benchmark reads /proc/self/status and resets it through /proc/self/clear_refs: it needs Linux.");
}
