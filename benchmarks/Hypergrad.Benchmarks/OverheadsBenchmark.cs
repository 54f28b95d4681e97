using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Hypergrad.Benchmarks.Problems;
using Hypergrad.Data;
using Hypergrad.Implicit;
using Hypergrad.Optimizers;
using Hypergrad.Solving;
using TorchSharp;
using static TorchSharp.torch;

namespace Hypergrad.Benchmarks;

/// <summary>
/// What the library's implicit path costs on top of the same computation written by hand in TorchSharp, in the same
/// process, runs interleaved (the order alternates every repetition); the ratio of the fastest timings and the median of
/// the per-repetition ratios are reported. Times are the thread's CPU time (<see cref="ThreadClock"/>): on a shared machine, wall time mostly measures the load. The hand-written versions keep one tensor per parameter (lists of tensors, <c>autograd.grad</c> on lists):
/// <list type="bullet">
/// <item>CG-k: ∇F, ∇_w g with a graph, k conjugate-gradient iterations with Hessian-vector products, the mixed product;</item>
/// <item>Nyström rank k: the same gradients and the k + 1 products the library's Nyström spends (k unit vectors and
/// the residual), without the small dense algebra on the sketch: the ratio shows everything the library adds;</item>
/// <item>Run: the generated <c>Run</c> against the loop written with runtime calls (SGD steps in place, the engine's
/// hypergradient every T steps, a torch.optim outer step), on softmax regression and on the MLP.</item>
/// </list>
/// </summary>
sealed class OverheadsBenchmark(TextWriter output)
{
    const int Repetitions = 15;

    public void Run()
    {
        output.WriteLine($"Load before: {LoadAverage()}.");
        var mlp = new MlpProblem(inputs: 16, width: 16, layers: 10, classes: 4, samples: 256, seed: 0);
        var (largest, smallest) = Spectrum.Extremes(mlp);
        output.WriteLine($"Problem: {mlp.Description}, float64, 1 thread; H's eigenvalues in [{smallest:G3}, {largest:G3}]; " +
                         $"{Repetitions} interleaved repetitions (Run: 9); times are {(ThreadClock.IsCpuTime ? "CPU time of the benchmark's thread" : "wall time")}.");
        output.WriteLine();
        output.WriteLine("| computation | hand-written (ms, fastest) | library (ms, fastest) | library / hand-written (fastest) | library / hand-written (median of pairs) | agreement (relative) |");
        output.WriteLine("|---|---|---|---|---|---|");
        foreach (int k in new[] { 1, 20 })
            Row($"hypergradient, CG-{k}", mlp, () => HandConjugateGradient(mlp, k),
                new ConjugateGradient { Iterations = k, Tolerance = 0 });
        Row("hypergradient, Nystrom rank 20 (columns)", mlp, () => HandNystromProducts(mlp, 20), new Nystrom { Rank = 20, Rho = 0.1 }, compare: false);

        var softmax = new RunComparison("Run, softmax regression (200 features, 10 classes)",
            () => new SoftmaxDecayTuning(features: 200, classes: 10, seed: 0), features: 200, classes: 10, innerLearningRate: 0.5);
        var deep = new RunComparison("Run, MLP 16-16×9-4",
            () => new MlpDecayTuning(inputs: 16, width: 16, layerCount: 10, classes: 4, seed: 0), features: 16, classes: 4, innerLearningRate: 0.1);
        foreach (var comparison in new[] { softmax, deep })
        {
            var (hand, library, ratio) = Interleave(comparison.Hand, comparison.Generated, repetitions: 9);
            output.WriteLine($"| {comparison.Name}: {comparison.Steps} steps, outer every {comparison.UnrollSteps}, CG-10 | {hand:F1} | {library:F1} | " +
                             $"{library / hand:F3} | {ratio:F3} | {comparison.Agreement():E1} |");
        }
        output.WriteLine();
        output.WriteLine($"Load after: {LoadAverage()}.");
    }

    void Row(string name, MlpProblem problem, Func<Tensor> hand, ImplicitSolver solver, bool compare = true)
    {
        using var engine = new ImplicitHypergradient(problem.Inner, problem.Outer, solver);
        Tensor Library()
        {
            using var result = engine.Compute(problem.TrainLoss, problem.ValidationLoss);
            return result["LogDecay"].clone();
        }
        double agreement = double.NaN;
        if (compare)
        {
            using var scope = NewDisposeScope();
            var expected = hand();
            agreement = (Library() - expected).norm().ToDouble() / expected.norm().ToDouble();
        }
        var (handMs, libraryMs, ratio) = Interleave(() => Discard(hand), () => Discard(Library), Repetitions);
        output.WriteLine($"| {name} | {handMs:F2} | {libraryMs:F2} | {libraryMs / handMs:F3} | {ratio:F3} | {(compare ? agreement.ToString("E1") : "—")} |");
    }

    static void Discard(Func<Tensor> compute)
    {
        using var scope = NewDisposeScope();
        compute();
    }

    // Times a and b alternately (a first on even repetitions, b first on odd ones), three calls per timing after one
    // warm-up each; returns the fastest milliseconds of each (other processes only ever add time, so the fastest timing
    // is the closest to the cost itself) and the median of the per-repetition ratios b / a.
    static (double A, double B, double Ratio) Interleave(Action a, Action b, int repetitions, int calls = 3)
    {
        a(); b();
        var times = new List<(double A, double B)>();
        double Time(Action action)
        {
            double start = ThreadClock.Milliseconds();
            for (int i = 0; i < calls; i++) action();
            return (ThreadClock.Milliseconds() - start) / calls;
        }
        for (int r = 0; r < repetitions; r++)
        {
            if (r % 2 == 0) { double ta = Time(a); times.Add((ta, Time(b))); }
            else { double tb = Time(b); times.Add((Time(a), tb)); }
        }
        return (times.Min(t => t.A), times.Min(t => t.B), Median(times.Select(t => t.B / t.A)));
    }

    static double Median(IEnumerable<double> values)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        return sorted[sorted.Length / 2];
    }

    static string LoadAverage() => File.Exists("/proc/loadavg") ? "load average " + string.Join(", ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "load unknown";

    // ---- Hand-written per-tensor versions ----

    static Tensor[] Parameters(MlpProblem problem) => problem.Inner.Select(v => v.Tensor).ToArray();

    static double Dot(IReadOnlyList<Tensor> a, IReadOnlyList<Tensor> b) =>
        stack(a.Zip(b, (x, y) => (x * y).sum()).ToArray()).sum().ToDouble();

    // ∇_w F and ∇_λ F (F does not use λ: unused), then ∇_w g with a graph for the products.
    static (Tensor[] V, Tensor DirectOuter, Tensor[] InnerGradient) Gradients(MlpProblem problem, Tensor[] w, Tensor lambda)
    {
        var outer = autograd.grad(new[] { problem.ValidationLoss() }, w.Append(lambda).ToArray(), allow_unused: true);
        var direct = outer[^1] is { IsInvalid: false } d ? d : zeros_like(lambda);
        var innerGradient = autograd.grad(new[] { problem.TrainLoss() }, w, retain_graph: true, create_graph: true).ToArray();
        return (outer.Take(w.Length).ToArray(), direct, innerGradient);
    }

    static Tensor[] HessianVectorProduct(Tensor[] innerGradient, Tensor[] w, Tensor[] vector) =>
        autograd.grad(innerGradient, w, grad_outputs: vector, retain_graph: true).ToArray();

    static Tensor Mixed(Tensor[] innerGradient, Tensor lambda, Tensor[] x) =>
        autograd.grad(innerGradient, new[] { lambda }, grad_outputs: x, retain_graph: true)[0];

    static Tensor HandConjugateGradient(MlpProblem problem, int iterations)
    {
        var w = Parameters(problem);
        var lambda = problem.Tuning.LogDecay;
        var (v, direct, innerGradient) = Gradients(problem, w, lambda);
        var x = v.Select(t => zeros_like(t)).ToArray();
        var r = v.Select(t => t.clone()).ToArray();
        var p = v.Select(t => t.clone()).ToArray();
        double rr = Dot(r, r);
        for (int k = 0; k < iterations; k++)
        {
            using var scope = NewDisposeScope();
            var hp = HessianVectorProduct(innerGradient, w, p);
            double alpha = rr / Dot(p, hp);
            for (int i = 0; i < w.Length; i++)
            {
                x[i].add_(p[i], alpha);
                r[i].add_(hp[i], -alpha);
            }
            double rrNext = Dot(r, r);
            for (int i = 0; i < w.Length; i++) p[i].mul_(rrNext / rr).add_(r[i]);
            rr = rrNext;
        }
        return direct - Mixed(innerGradient, lambda, x);
    }

    // The gradients, k products with unit vectors (one reusable zero tensor per parameter), one more product (the
    // residual) and the mixed product: what Nyström rank k must spend, without its sketch algebra.
    static Tensor HandNystromProducts(MlpProblem problem, int rank)
    {
        var w = Parameters(problem);
        var lambda = problem.Tuning.LogDecay;
        var (v, direct, innerGradient) = Gradients(problem, w, lambda);
        var unit = w.Select(t => zeros_like(t)).ToArray();
        for (int k = 0; k < rank; k++)
        {
            using var entry = unit[k % w.Length].view(-1)[k / w.Length];
            entry.fill_(1);
            HessianVectorProduct(innerGradient, w, unit);
            entry.fill_(0);
        }
        HessianVectorProduct(innerGradient, w, v);
        return direct - Mixed(innerGradient, lambda, v);
    }

    /// <summary>The generated Run against the same loop written by hand, on two instances of one problem class.</summary>
    sealed class RunComparison
    {
        readonly IDecayTuning generated, hand;
        readonly Hypergrad.Parameters.ParameterSet handInner, handOuter;
        readonly Tensor initialInner, initialOuter;
        readonly (Tensor X, Tensor Y) train, validation;
        readonly double innerLearningRate;
        const double OuterLearningRate = 0.1;

        public RunComparison(string name, Func<IDecayTuning> create, int features, int classes, double innerLearningRate)
        {
            Name = name;
            this.innerLearningRate = innerLearningRate;
            generated = create();
            hand = create();
            handInner = new Hypergrad.Parameters.ParameterSet(("Model", hand.Network));
            handOuter = new Hypergrad.Parameters.ParameterSet(("LogDecay", hand.LogDecay));
            initialInner = handInner.Flat.clone();
            initialOuter = handOuter.Flat.clone();
            var generator = new Generator(7);
            var teacher = randn(features, classes, dtype: float64, generator: generator);
            (Tensor, Tensor) Data()
            {
                var x = randn(512, features, dtype: float64, generator: generator);
                return (x, (x.mm(teacher) + randn(512, classes, dtype: float64, generator: generator)).argmax(1));
            }
            train = Data();
            validation = Data();
        }

        public string Name { get; }
        public int Steps => 100;
        public int UnrollSteps => 10;

        public void Generated()
        {
            var problem = generated.BilevelProblem;
            Reset(problem.InnerVariables.Flat, problem.OuterVariables.Flat);
            using var scope = NewDisposeScope();
            generated.Run(BatchSource.FullBatch(train.X, train.Y), BatchSource.FullBatch(validation.X, validation.Y), new BilevelOptions
            {
                Steps = Steps,
                UnrollSteps = UnrollSteps,
                InnerOptimizer = new DifferentiableSgd(innerLearningRate),
                OuterOptimizer = optim.SGD(new[] { generated.LogDecay }, OuterLearningRate),
            });
        }

        // The loop a user would write with the runtime's engine: SGD steps in place, the hypergradient every T steps
        // (F's value kept for a progress report), a torch.optim outer step.
        public void Hand()
        {
            Reset(handInner.Flat, handOuter.Flat);
            using var scope = NewDisposeScope();
            var w = handInner.Select(v => v.Tensor).ToArray();
            var outerOptimizer = optim.SGD(new[] { hand.LogDecay }, OuterLearningRate);
            using var engine = new ImplicitHypergradient(handInner, handOuter, new ConjugateGradient { Iterations = 10, Tolerance = 1e-12 });
            var losses = new List<double>();
            for (int step = 0; step < Steps; step++)
            {
                using var stepScope = NewDisposeScope();
                var loss = hand.TrainLoss(train.X, train.Y);
                var gradients = autograd.grad(new[] { loss }, w);
                using (no_grad())
                    for (int i = 0; i < w.Length; i++) w[i].add_(gradients[i], -innerLearningRate);
                if (step > 0 && step % UnrollSteps == 0)
                {
                    outerOptimizer.zero_grad();
                    double outerLoss = double.NaN;
                    engine.Compute(() => hand.TrainLoss(train.X, train.Y), () =>
                    {
                        var f = hand.ValidationLoss(validation.X, validation.Y);
                        if (double.IsNaN(outerLoss)) outerLoss = f.detach().ToDouble();
                        return f;
                    }, accumulateGrad: true).Dispose();
                    outerOptimizer.step();
                    losses.Add(outerLoss);
                }
            }
        }

        void Reset(Tensor inner, Tensor outer)
        {
            using var noGrad = no_grad();
            inner.copy_(initialInner);
            outer.copy_(initialOuter);
        }

        /// <summary>Max relative difference of the outer variables after one run of each (same arithmetic: ≈ rounding).</summary>
        public double Agreement()
        {
            Generated();
            Hand();
            var a = generated.BilevelProblem.OuterVariables.Flat;
            return (a - handOuter.Flat).abs().max().ToDouble() / handOuter.Flat.abs().max().ToDouble();
        }
    }
}
