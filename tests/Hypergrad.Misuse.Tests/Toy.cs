using Hypergrad.Optimizers;
using Hypergrad.Parameters;
using Hypergrad.Solving;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Hypergrad.Misuse.Tests;

/// <summary>What a misbehaving objective does (inside the inner or outer objective, per <see cref="Toy.InOuter"/>).</summary>
public enum Fault
{
    None,
    CallsBackward,
    CallsBackwardRetainingGraph,
    DisposesVariable,
    UsingOnVariable,
    CachesLoss,
    ModifiesVariableInPlace,
    ThrowsOwnException,
    ReturnsNull,
    ReturnsDisposed,
}

/// <summary>
/// A ridge-regression bilevel problem written as a user writes a [Hypergradient] class (members W and LogDecay,
/// objectives that are instance methods), built by hand so that every method can be used with every fault.
/// </summary>
public sealed class Toy
{
    public Toy(Method method, Fault fault = Fault.None, bool inOuter = false, int features = 3)
    {
        Fault = fault;
        InOuter = inOuter;
        W = new Parameter(full(features, 0.1, dtype: float64));
        LogDecay = new Parameter(zeros(features, dtype: float64));
        var settings = new HypergradientSettings(method)
        {
            Truncation = method == Method.TruncatedUnroll ? 1 : null,
            UnrollSteps = MethodFamilies.IsUnrolled(method) ? 2 : null,
            InnerSteps = method is Method.Amigo or Method.StocBio or Method.F2sa or Method.Bome or Method.Pgdm ? 2 : null,
            Iterations = method is Method.Amigo or Method.StocBio ? 2 : null,
        };
        Problem = new BilevelProblem<(Tensor x, Tensor y), (Tensor x, Tensor y)>("Toy", settings,
            new ParameterSet(ParameterSource.FromTensor("W", W)),
            new ParameterSet(ParameterSource.FromTensor("LogDecay", LogDecay)),
            new Objective<(Tensor x, Tensor y)>("TrainLoss", batch => TrainLoss(batch.x, batch.y)),
            new Objective<(Tensor x, Tensor y)>("ValidationLoss", batch => ValidationLoss(batch.x, batch.y)))
        {
            InnerOptimizer = new DifferentiableSgd(0.1),
        };
    }

    public Parameter W { get; set; }
    public Parameter LogDecay { get; set; }
    public Fault Fault { get; }
    public bool InOuter { get; }
    public BilevelProblem<(Tensor x, Tensor y), (Tensor x, Tensor y)> Problem { get; }

    /// <summary>Called at the start of every objective evaluation (the concurrency cases park a thread here).</summary>
    public Action? OnEvaluate { get; set; }

    Tensor? cached;

    // mm, not matmul: TorchSharp 0.107 turns a shape or dtype mismatch in mm into an ordinary exception, but in matmul
    // it aborts the process inside the call itself, before any library code could look at it (see docs/reliability.md).
    Tensor Predict(Tensor x) => x.mm(W.unsqueeze(1)).squeeze(1);

    public Tensor TrainLoss(Tensor x, Tensor y)
    {
        OnEvaluate?.Invoke();
        var loss = (Predict(x) - y).pow(2).mean() + 0.5 * (W.pow(2) * LogDecay.exp()).sum();
        return InOuter ? loss : Misbehave(loss, W);
    }

    public Tensor ValidationLoss(Tensor x, Tensor y)
    {
        OnEvaluate?.Invoke();
        // The small direct term keeps dF/dλ nonzero for FirstOrder too, which drops the path through the inner
        // objective (Run refuses an outer variable whose first hypergradient is exactly zero).
        var loss = (Predict(x) - y).pow(2).mean() + 1e-3 * LogDecay.exp().sum();
        return InOuter ? Misbehave(loss, W) : loss;
    }

    Tensor Misbehave(Tensor loss, Tensor variable)
    {
        switch (Fault)
        {
            case Fault.CallsBackward:
                loss.backward();
                return loss;
            case Fault.CallsBackwardRetainingGraph:
                loss.backward(retain_graph: true);
                return loss;
            case Fault.DisposesVariable:
                variable.Dispose();
                return loss;
            case Fault.UsingOnVariable:
            {
                using var w = W;
                return loss + 0 * w.sum();
            }
            case Fault.CachesLoss:
                return cached ??= loss;
            case Fault.ModifiesVariableInPlace:
                variable.mul_(1.0);
                return loss;
            case Fault.ThrowsOwnException:
                throw new InvalidOperationException("the user's own bug");
            case Fault.ReturnsNull:
                return null!;
            case Fault.ReturnsDisposed:
                loss.Dispose();
                return loss;
            default:
                return loss;
        }
    }

    /// <summary>A well-formed batch of <paramref name="rows"/> samples.</summary>
    public static (Tensor x, Tensor y) Batch(int rows = 8, int features = 3, int seed = 0)
    {
        var generator = new TorchSharp.torch.Generator((ulong)(seed + 1));
        // Scaled so that the inner Hessian's eigenvalues stay well below 1: every method converges on this problem.
        var x = randn(new long[] { rows, features }, dtype: float64, generator: generator) * 0.3;
        var y = randn(new long[] { rows }, dtype: float64, generator: generator);
        return (x, y);
    }

    /// <summary>Run options small enough for a case: 6 steps, an outer step every 2.</summary>
    // Joint methods take every step as an outer step and refuse UnrollSteps.
    public static BilevelOptions RunOptions(Method method) => new()
    {
        Steps = 6,
        UnrollSteps = MethodFamilies.IsJoint(method) ? null : 2,
        InnerOptimizer = new DifferentiableSgd(0.1),
        OuterOptimizer = new DifferentiableSgd(0.01),
    };
}
