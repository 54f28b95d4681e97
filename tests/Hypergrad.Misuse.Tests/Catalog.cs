using Hypergrad.Autograd;
using Hypergrad.Solving;
using Hypergrad.Optimizers;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Hypergrad.Misuse.Tests;

/// <summary>One misuse and what the library must answer (the action throws when it does not).</summary>
public sealed record Case(string Id, Action Run);

/// <summary>Every misuse case: each class of misuse across every method and both entry points.</summary>
public static class Catalog
{
    static readonly Method[] BilevelMethods = Enum.GetValues<Method>();
    static readonly Method[] EquilibriumMethods = { Method.FixedPoint, Method.ConjugateGradientNormal, Method.Neumann, Method.Exact };
    static readonly string[] Entries = { "Compute", "Run" };

    static List<Case>? all;
    public static IReadOnlyList<Case> All => all ??= Build().ToList();

    /// <summary>Cases that check the child-process harness itself: one kills its process the way libtorch does.</summary>
    public static IReadOnlyList<Case> Harness { get; } =
    [
        new("Harness.Passes", () => { }),
        // TorchSharp 0.107's matmul aborts on mismatched shapes (an uncaught c10::Error): the harness must survive it.
        new("Harness.NativeAbort", () => randn(8, 4).matmul(randn(3, 1))),
        new("Harness.FailsAfterAbort", () => throw new Exception("an ordinary failure")),
    ];

    static IEnumerable<Case> Build()
    {
        foreach (var method in BilevelMethods)
        {
            foreach (var entry in Entries)
            {
                foreach (var inOuter in new[] { false, true })
                {
                    string where = inOuter ? "outer" : "inner";
                    string objective = inOuter ? "ValidationLoss" : "TrainLoss";
                    foreach (var (fault, keywords) in ObjectiveFaults)
                        yield return new($"{method}.{entry}.{where}.{fault}", () =>
                            Check(fault, () => Enter(new Toy(method, fault, inOuter), entry), [objective, .. keywords]));
                    yield return new($"{method}.{entry}.{where}.ShapeMismatch", () =>
                        Expect.Wrapped<Exception>(() => Enter(new Toy(method), entry, Bad(inOuter, Toy.Batch(features: 4))), objective, "threw", "[8, 4]", "W "));
                    yield return new($"{method}.{entry}.{where}.DtypeMismatch", () =>
                        Expect.Wrapped<Exception>(() => Enter(new Toy(method), entry, Bad(inOuter, Float32(Toy.Batch()))), objective, "threw", "Float32"));
                    foreach (var (kind, make) in BatchFaults)
                        yield return new($"{method}.{entry}.{where}.Batch{kind}", () =>
                            Expect.Refused(() => Enter(new Toy(method), entry, Bad(inOuter, make())), "element 1", kind,
                                entry == "Run" ? (inOuter ? "validation batch 0" : "training batch 0") : objective));
                }
                yield return new($"{method}.{entry}.ReassignedOuter", () =>
                {
                    var toy = new Toy(method);
                    toy.LogDecay = new Parameter(zeros(3, dtype: float64));
                    Expect.Refused(() => Enter(toy, entry), "'LogDecay'", "assigned a new tensor", "copy_");
                });
                yield return new($"{method}.{entry}.ReassignedInner", () =>
                {
                    var toy = new Toy(method);
                    toy.W = new Parameter(zeros(3, dtype: float64));
                    Expect.Refused(() => Enter(toy, entry), "'W'", "assigned a new tensor");
                });
                yield return new($"{method}.{entry}.TwoThreads", () =>
                {
                    var toy = new Toy(method);
                    Concurrently(toy.Problem.Name, hook => toy.OnEvaluate = hook, () => Enter(toy, entry));
                });
            }
            yield return new($"{method}.EmptyVariables", () => Expect.Refused(() => new Toy(method, features: 0), "'W'", "no elements"));
        }

        foreach (var method in EquilibriumMethods)
            foreach (var entry in Entries)
            {
                foreach (var inOuter in new[] { false, true })
                {
                    string where = inOuter ? "loss" : "map";
                    string callee = inOuter ? "Loss" : "Layer";
                    foreach (var (fault, keywords) in EquilibriumFaults(inOuter))
                        yield return new($"Equilibrium.{method}.{entry}.{where}.{fault}", () =>
                            Check(fault, () => Enter(new EquilibriumToy(method, fault, inOuter), entry), [callee, .. keywords]));
                }
                foreach (var (kind, make) in BatchFaults)
                    yield return new($"Equilibrium.{method}.{entry}.Batch{kind}", () =>
                        Expect.Refused(() => Enter(new EquilibriumToy(method), entry, Shrink(make())), "element 1", kind));
                yield return new($"Equilibrium.{method}.{entry}.ReassignedOuter", () =>
                {
                    var toy = new EquilibriumToy(method);
                    toy.Recurrent = new Parameter(zeros(2, 2, dtype: float64));
                    Expect.Refused(() => Enter(toy, entry), "'Recurrent'", "assigned a new tensor");
                });
                yield return new($"Equilibrium.{method}.{entry}.ShapeMismatch", () =>
                    Expect.Wrapped<Exception>(() => Enter(new EquilibriumToy(method), entry, EquilibriumToy.Batch(features: 5)), "Layer", "threw|failed", "[4, 5]"));
                yield return new($"Equilibrium.{method}.{entry}.TwoThreads", () =>
                {
                    var toy = new EquilibriumToy(method);
                    Concurrently(toy.Problem.Name, hook => toy.OnEvaluate = hook, () => Enter(toy, entry));
                });
            }

        foreach (var (name, run) in DirectAutograd()) yield return new($"Autograd.{name}", run);
    }

    // What each objective fault must be answered with (besides the objective's name).
    static readonly (Fault Fault, string[] Keywords)[] ObjectiveFaults =
    {
        (Fault.CallsBackward, ["backward()"]),
        (Fault.CallsBackwardRetainingGraph, ["backward()"]),
        (Fault.DisposesVariable, ["'W'", "disposed"]),
        (Fault.UsingOnVariable, ["'W'", "disposed"]),
        (Fault.CachesLoss, ["previous call|returned a disposed tensor"]),
        (Fault.ModifiesVariableInPlace, ["inplace|in-place"]),
        (Fault.ThrowsOwnException, ["the user's own bug"]),
        (Fault.ReturnsNull, ["returned null"]),
        (Fault.ReturnsDisposed, ["disposed"]),
    };

    static IEnumerable<(Fault, string[])> EquilibriumFaults(bool inLoss) =>
    [
        // Inside the equilibrium solve (no graph) a backward() in the map fails in libtorch itself: wrapped, naming the map.
        (Fault.CallsBackward, inLoss ? ["backward()"] : ["backward()|grad"]),
        (Fault.DisposesVariable, [inLoss ? "'Injection'" : "'Recurrent'", "disposed"]),
        (Fault.ThrowsOwnException, ["the user's own bug"]),
        (Fault.ReturnsNull, ["null"]),
        (Fault.CachesLoss, ["previous call|disposed|tensor it was given"]),
    ];

    static void Check(Fault fault, Action act, string[] keywords)
    {
        if (fault == Fault.ThrowsOwnException) Expect.Wrapped<InvalidOperationException>(act, keywords);
        else Expect.Refused(act, keywords);
    }

    static readonly (string Kind, Func<(Tensor x, Tensor y)> Make)[] BatchFaults =
    {
        ("null", () => ((Tensor)null!, Toy.Batch().y)),
        ("disposed", () => { var b = Toy.Batch(); b.x.Dispose(); return b; }),
        ("empty", () => Toy.Batch(rows: 0)),
    };

    // The equilibrium toy's batches have 4 rows.
    static (Tensor x, Tensor y) Shrink((Tensor x, Tensor y) batch) =>
        batch.x is null || batch.x.IsInvalid || batch.x.numel() == 0 ? batch : (batch.x[..4], batch.y[..4]);

    static ((Tensor x, Tensor y) Train, (Tensor x, Tensor y) Validation) Bad(bool inOuter, (Tensor x, Tensor y) bad) =>
        inOuter ? (Toy.Batch(seed: 1), bad) : (bad, Toy.Batch(seed: 1));

    static (Tensor x, Tensor y) Float32((Tensor x, Tensor y) b) => (b.x.to_type(ScalarType.Float32), b.y.to_type(ScalarType.Float32));

    static void Enter(Toy toy, string entry) => Enter(toy, entry, (Toy.Batch(), Toy.Batch(seed: 1)));

    static void Enter(Toy toy, string entry, ((Tensor x, Tensor y) Train, (Tensor x, Tensor y) Validation) batches)
    {
        if (entry == "Compute")
        {
            // Twice: some faults (a cached loss) show only at the second call.
            toy.Problem.ComputeHypergradient(batches.Train, batches.Validation).Dispose();
            toy.Problem.ComputeHypergradient(batches.Train, batches.Validation).Dispose();
        }
        else BilevelSolver.Run(toy.Problem, Source(toy, batches.Train), Source(toy, batches.Validation), Toy.RunOptions(toy.Problem.Settings.Method));
    }

    // Saba keeps per-batch memory and needs a declared finite dataset: the one batch, repeated.
    static IEnumerable<(Tensor x, Tensor y)> Source(Toy toy, (Tensor x, Tensor y) batch) =>
        toy.Problem.Settings.Method == Method.Saba ? new Hypergrad.Data.FiniteBatches<(Tensor x, Tensor y)>([batch]) : Enumerable.Repeat(batch, 100);

    static void Enter(EquilibriumToy toy, string entry) => Enter(toy, entry, EquilibriumToy.Batch());

    static void Enter(EquilibriumToy toy, string entry, (Tensor x, Tensor y) batch)
    {
        if (entry == "Compute")
        {
            toy.Problem.ComputeHypergradient(batch).Dispose();
            toy.Problem.ComputeHypergradient(batch).Dispose();
        }
        else FixedPointSolver.Run(toy.Problem, Enumerable.Repeat(batch, 100),
            new BilevelOptions { Steps = 3, OuterOptimizer = new DifferentiableSgd(0.01) });
    }

    /// <summary>
    /// Thread A enters the problem and parks inside its first objective call; meanwhile thread B (this one) uses the same
    /// instance and must be refused; then A finishes normally.
    /// </summary>
    static void Concurrently(string problemName, Action<Action?> setHook, Action use)
    {
        using var entered = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        int calls = 0;
        setHook(() =>
        {
            if (Interlocked.Increment(ref calls) != 1) return;
            entered.Set();
            release.Wait(TimeSpan.FromSeconds(20));
        });
        Exception? first = null;
        var threadA = new Thread(() =>
        {
            try { use(); }
            catch (Exception e) { first = e; }
        });
        threadA.Start();
        Expect.True(entered.Wait(TimeSpan.FromSeconds(20)), "thread A never reached the objective");
        try
        {
            Expect.Refused(use, problemName, "is using this problem instance", "one instance per thread");
        }
        finally
        {
            release.Set();
            threadA.Join();
        }
        if (first is not null) throw new Exception("Thread A, alone inside the problem, failed: " + first.Message, first);
    }

    // The guarded autograd layer called directly after the user ran backward() (or edited in place) on the graph.
    static IEnumerable<(string, Action)> DirectAutograd()
    {
        foreach (var createGraph in new[] { false, true })
        {
            yield return ($"BackwardThenGradient.createGraph={createGraph}", () =>
            {
                var x = randn(3, dtype: float64).requires_grad_(true);
                var loss = (x * x).sum();
                loss.backward();
                Expect.Refused(() => Gradients.Of(loss, "loss", [x], ["x"], createGraph), "cannot be differentiated", "backward()");
            });
            yield return ($"BackwardThenVectorJacobianProduct.createGraph={createGraph}", () =>
            {
                var x = randn(3, dtype: float64).requires_grad_(true);
                var y = x.exp();
                y.sum().backward();
                Expect.Refused(() => Gradients.VectorJacobianProduct([y], "y", [ones_like(y)], [x], ["x"], createGraph), "cannot be differentiated");
            });
            yield return ($"InPlaceAfterForward.createGraph={createGraph}", () =>
            {
                var x = randn(3, dtype: float64).requires_grad_(true);
                (x * 1.0).sum().backward();      // x.grad is set: the graph below is checked before libtorch sees it
                var y = x * 2;
                var loss = (y * y).sum();
                using (no_grad()) y.add_(1);
                Expect.Refused(() => Gradients.Of(loss, "loss", [x], ["x"], createGraph), "cannot be differentiated", "inplace|in place");
            });
            yield return ($"GradientStillExactAfterProbe.createGraph={createGraph}", () =>
            {
                // A legitimate call on leaves that carry a .grad: the probe must leave .grad untouched and the result exact.
                var x = tensor(new[] { 1.0, 2.0, 3.0 }, dtype: float64).requires_grad_(true);
                (x * 1.0).sum().backward();      // x.grad = 1
                var g = Gradients.Of((x * x).sum(), "loss", [x], ["x"], createGraph)[0];
                Expect.True(g.data<double>().SequenceEqual(new[] { 2.0, 4.0, 6.0 }), $"∇(x·x) = 2x, got {string.Join(", ", g.data<double>().ToArray())}");
                Expect.True(x.grad!.data<double>().All(v => v == 1.0), "the probe changed x.grad");
            });
        }
    }
}
