using Hypergrad;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn.functional;

namespace Hypergrad.Generators.Tests.EndToEnd;

// Bilevel problems written as a user writes them; this project compiles them with Hypergrad's generator.

/// <summary>Per-feature weight decay of a linear regression, tuned by implicit differentiation (CG).</summary>
[Hypergradient(Method.ConjugateGradient, Iterations = 30, Tolerance = 1e-12)]
public partial class RidgeDecay
{
    public RidgeDecay(Tensor initialWeight)
    {
        Model = nn.Linear(initialWeight.shape[1], 1, hasBias: false, dtype: float64);
        using (no_grad()) Model.weight.copy_(initialWeight);
        LogDecay = new Parameter(zeros(initialWeight.shape[1], dtype: float64));
    }

    [Inner] public Linear Model { get; }
    [Outer] public Parameter LogDecay { get; }

    [InnerObjective]
    public Tensor TrainLoss(Tensor x, Tensor y) =>
        (Model.call(x).squeeze(-1) - y).pow(2).mean() + 0.5 * (Model.weight.squeeze(0).pow(2) * LogDecay.exp()).sum();

    [OuterObjective]
    public Tensor ValidationLoss(Tensor x, Tensor y) => (Model.call(x).squeeze(-1) - y).pow(2).mean();
}

/// <summary>The same problem, differentiated through its inner gradient steps (reverse unroll).</summary>
[Hypergradient(Method.ReverseUnroll, UnrollSteps = 5)]
public partial class UnrolledRidgeDecay
{
    public UnrolledRidgeDecay(Tensor initialWeight)
    {
        Model = nn.Linear(initialWeight.shape[1], 1, hasBias: false, dtype: float64);
        using (no_grad()) Model.weight.copy_(initialWeight);
        LogDecay = new Parameter(zeros(initialWeight.shape[1], dtype: float64));
    }

    [Inner] public Linear Model { get; }
    [Outer] public Parameter LogDecay { get; }

    [InnerObjective]
    public Tensor TrainLoss(Tensor x, Tensor y) =>
        (Model.call(x).squeeze(-1) - y).pow(2).mean() + 0.5 * (Model.weight.squeeze(0).pow(2) * LogDecay.exp()).sum();

    [OuterObjective]
    public Tensor ValidationLoss(Tensor x, Tensor y) => (Model.call(x).squeeze(-1) - y).pow(2).mean();
}

/// <summary>A BOAT-style composition: gradient descent aggregation (GDA) with reverse unroll (RAD).</summary>
[Hypergradient(Method.ReverseUnroll, Operations = new[] { Operation.GradientDescentAggregation, Operation.ReverseUnroll },
    AggregationAlpha = 0.3, AggregationDecay = 0.9, UnrollSteps = 4)]
public partial class AggregatedRidgeDecay
{
    public AggregatedRidgeDecay(Tensor initialWeight)
    {
        Model = nn.Linear(initialWeight.shape[1], 1, hasBias: false, dtype: float64);
        using (no_grad()) Model.weight.copy_(initialWeight);
        LogDecay = new Parameter(zeros(initialWeight.shape[1], dtype: float64));
    }

    [Inner] public Linear Model { get; }
    [Outer] public Parameter LogDecay { get; }

    [InnerObjective]
    public Tensor TrainLoss(Tensor x, Tensor y) =>
        (Model.call(x).squeeze(-1) - y).pow(2).mean() + 0.5 * (Model.weight.squeeze(0).pow(2) * LogDecay.exp()).sum();

    [OuterObjective]
    public Tensor ValidationLoss(Tensor x, Tensor y) => (Model.call(x).squeeze(-1) - y).pow(2).mean();
}

/// <summary>The implicit problem with the user's own inner update: a plain gradient step written by hand.</summary>
[Hypergradient(Method.ConjugateGradient, Iterations = 30, Tolerance = 1e-12)]
public partial class RidgeDecayWithOwnStep
{
    public RidgeDecayWithOwnStep(Tensor initialWeight)
    {
        Model = nn.Linear(initialWeight.shape[1], 1, hasBias: false, dtype: float64);
        using (no_grad()) Model.weight.copy_(initialWeight);
        LogDecay = new Parameter(zeros(initialWeight.shape[1], dtype: float64));
    }

    [Inner] public Linear Model { get; }
    [Outer] public Parameter LogDecay { get; }

    [InnerObjective]
    public Tensor TrainLoss(Tensor x, Tensor y) =>
        (Model.call(x).squeeze(-1) - y).pow(2).mean() + 0.5 * (Model.weight.squeeze(0).pow(2) * LogDecay.exp()).sum();

    [OuterObjective]
    public Tensor ValidationLoss(Tensor x, Tensor y) => (Model.call(x).squeeze(-1) - y).pow(2).mean();

    /// <summary>w ← w − 0.1·∇_w g, in place (not differentiated: implicit methods only need the inner solution).</summary>
    [InnerStep]
    public void GradientStep(Tensor x, Tensor y)
    {
        var gradient = Gradients.Of(TrainLoss(x, y), "TrainLoss", new[] { Model.weight }, new[] { "Model.weight" })[0];
        using (no_grad()) Model.weight.sub_(0.1 * gradient);
    }
}

/// <summary>docs/dsl.md's opening example as written there: float32, Nyström, logistic regression with per-weight decay.</summary>
[Hypergradient(Method.Nystrom, Rank = 5, Rho = 0.1)]
public partial class WeightDecayTuning(int features)
{
    [Inner] public Linear Model { get; } = nn.Linear(features, 1, hasBias: false);
    [Outer] public Parameter LogDecay { get; } = new(zeros(features));

    [InnerObjective]
    public Tensor TrainLoss(Tensor x, Tensor y) =>
        binary_cross_entropy_with_logits(Model.call(x).squeeze(-1), y)
        + 0.5 * (Model.weight.pow(2).squeeze(0) * LogDecay.exp()).sum();

    [OuterObjective]
    public Tensor ValidationLoss(Tensor x, Tensor y) =>
        binary_cross_entropy_with_logits(Model.call(x).squeeze(-1), y);
}

/// <summary>The ridge problem with options that must reach the engine: whose variables the option tests' classes inherit.</summary>
public abstract class RidgeBase
{
    protected RidgeBase(Tensor initialWeight)
    {
        Model = nn.Linear(initialWeight.shape[1], 1, hasBias: false, dtype: float64);
        using (no_grad()) Model.weight.copy_(initialWeight);
        LogDecay = new Parameter(zeros(initialWeight.shape[1], dtype: float64));
    }

    [Inner] public Linear Model { get; }
    [Outer] public Parameter LogDecay { get; }
}

[Hypergradient(Method.Nystrom, Rank = 3, Rho = 0.5)]
public partial class NystromRankThree(Tensor initialWeight) : RidgeBase(initialWeight)
{
    [InnerObjective] public Tensor TrainLoss(Tensor x, Tensor y) => RidgeData.Inner(Model.weight, LogDecay, (x, y));
    [OuterObjective] public Tensor ValidationLoss(Tensor x, Tensor y) => (Model.call(x).squeeze(-1) - y).pow(2).mean();
}

[Hypergradient(Method.ConjugateGradient, Iterations = 2, Tolerance = 1e-14)]
public partial class TwoIterationCg(Tensor initialWeight) : RidgeBase(initialWeight)
{
    [InnerObjective] public Tensor TrainLoss(Tensor x, Tensor y) => RidgeData.Inner(Model.weight, LogDecay, (x, y));
    [OuterObjective] public Tensor ValidationLoss(Tensor x, Tensor y) => (Model.call(x).squeeze(-1) - y).pow(2).mean();
}

/// <summary>Nyström-preconditioned CG whose rank-2 Gaussian sketch is rebuilt every third outer step.</summary>
[Hypergradient(Method.NystromConjugateGradient, Rank = 2, Sampling = NystromSampling.Gaussian, SketchRefresh = 3, Iterations = 30, Tolerance = 1e-12, WarmStart = true)]
public partial class SketchedCg(Tensor initialWeight) : RidgeBase(initialWeight)
{
    [InnerObjective] public Tensor TrainLoss(Tensor x, Tensor y) => RidgeData.Inner(Model.weight, LogDecay, (x, y));
    [OuterObjective] public Tensor ValidationLoss(Tensor x, Tensor y) => (Model.call(x).squeeze(-1) - y).pow(2).mean();
}

[Hypergradient(Method.ConjugateGradient, Iterations = 50, Tolerance = 1e-10, WarmStart = true)]
public partial class WarmStartedCg(Tensor initialWeight) : RidgeBase(initialWeight)
{
    [InnerObjective] public Tensor TrainLoss(Tensor x, Tensor y) => RidgeData.Inner(Model.weight, LogDecay, (x, y));
    [OuterObjective] public Tensor ValidationLoss(Tensor x, Tensor y) => (Model.call(x).squeeze(-1) - y).pow(2).mean();
}

/// <summary>An adapted model and its meta-initialization (same architecture), shared by the meta-learning problems.</summary>
public abstract class MetaModels
{
    protected MetaModels(Tensor initialWeight)
    {
        Adapted = nn.Linear(initialWeight.shape[1], 1, hasBias: false, dtype: float64);
        MetaInit = nn.Linear(initialWeight.shape[1], 1, hasBias: false, dtype: float64);
        using (no_grad()) MetaInit.weight.copy_(initialWeight);
    }

    [Inner(InitializedFrom = nameof(MetaInit))] public Linear Adapted { get; }
    [Outer] public Linear MetaInit { get; }

    [OuterObjective] public Tensor QueryLoss(Tensor x, Tensor y) => (Adapted.call(x).squeeze(-1) - y).pow(2).mean();
}

/// <summary>iMAML: the adapted model starts every task from the meta-initialization and is pulled towards it.</summary>
[Hypergradient(Method.ConjugateGradient, Iterations = 20, Tolerance = 1e-12, UnrollSteps = 3)]
public partial class ImplicitMaml(Tensor initialWeight) : MetaModels(initialWeight)
{
    public const double Proximal = 2.0;

    [InnerObjective]
    public Tensor SupportLoss(Tensor x, Tensor y) =>
        (Adapted.call(x).squeeze(-1) - y).pow(2).mean() + Proximal / 2 * (Adapted.weight - MetaInit.weight).pow(2).sum();
}

/// <summary>MAML: reverse mode through the adaptation steps, differentiated with respect to their initialization.</summary>
[Hypergradient(Method.ReverseUnroll, Operations = new[] { Operation.InitializationUnroll }, UnrollSteps = 3)]
public partial class Maml(Tensor initialWeight) : MetaModels(initialWeight)
{
    [InnerObjective] public Tensor SupportLoss(Tensor x, Tensor y) => QueryLoss(x, y);
}

/// <summary>The unrolled ridge problem by reverse mode with recomputation: the same numbers as reverse unroll, over the same batches.</summary>
[Hypergradient(Method.ReverseRecompute, UnrollSteps = 5)]
public partial class RecomputedRidgeDecay(Tensor initialWeight) : RidgeBase(initialWeight)
{
    [InnerObjective] public Tensor TrainLoss(Tensor x, Tensor y) => RidgeData.Inner(Model.weight, LogDecay, (x, y));
    [OuterObjective] public Tensor ValidationLoss(Tensor x, Tensor y) => (Model.call(x).squeeze(-1) - y).pow(2).mean();
}

/// <summary>The unrolled ridge problem differentiated through the last 2 of every 5 steps (RGT).</summary>
[Hypergradient(Method.TruncatedUnroll, Truncation = 2, UnrollSteps = 5)]
public partial class TruncatedRidgeDecay(Tensor initialWeight) : RidgeBase(initialWeight)
{
    [InnerObjective] public Tensor TrainLoss(Tensor x, Tensor y) => RidgeData.Inner(Model.weight, LogDecay, (x, y));
    [OuterObjective] public Tensor ValidationLoss(Tensor x, Tensor y) => (Model.call(x).squeeze(-1) - y).pow(2).mean();
}

[Hypergradient(Method.ConjugateGradient, Iterations = 30, Tolerance = 1e-12)]
public partial class BoundedRidgeDecay(Tensor initialWeight)
{
    public const double Min = -0.2, Max = 0.05;

    [Inner] public Linear Model { get; } = Linear(initialWeight);
    [Outer(Min = Min, Max = Max)] public Parameter LogDecay { get; } = new(zeros(initialWeight.shape[1], dtype: float64));

    [InnerObjective] public Tensor TrainLoss(Tensor x, Tensor y) => RidgeData.Inner(Model.weight, LogDecay, (x, y));
    [OuterObjective] public Tensor ValidationLoss(Tensor x, Tensor y) => (Model.call(x).squeeze(-1) - y).pow(2).mean();

    internal static Linear Linear(Tensor initialWeight)
    {
        var model = nn.Linear(initialWeight.shape[1], 1, hasBias: false, dtype: float64);
        using (no_grad()) model.weight.copy_(initialWeight);
        return model;
    }
}

[Hypergradient(Method.ReverseUnroll, UnrollSteps = 5)]
public partial class BoundedUnrolledRidgeDecay(Tensor initialWeight)
{
    [Inner] public Linear Model { get; } = BoundedRidgeDecay.Linear(initialWeight);
    [Outer(Max = BoundedRidgeDecay.Max)] public Parameter LogDecay { get; } = new(zeros(initialWeight.shape[1], dtype: float64));

    [InnerObjective] public Tensor TrainLoss(Tensor x, Tensor y) => RidgeData.Inner(Model.weight, LogDecay, (x, y));
    [OuterObjective] public Tensor ValidationLoss(Tensor x, Tensor y) => (Model.call(x).squeeze(-1) - y).pow(2).mean();
}

#pragma warning disable HG0007   // on purpose: Unused is used by neither objective, which Run must refuse
[Hypergradient(Method.ConjugateGradient, Iterations = 30, Tolerance = 1e-12)]
public partial class RidgeWithUnusedOuter(Tensor initialWeight) : RidgeBase(initialWeight)
{
    [Outer] public Parameter Unused { get; } = new(zeros(2, dtype: float64));

    [InnerObjective] public Tensor TrainLoss(Tensor x, Tensor y) => RidgeData.Inner(Model.weight, LogDecay, (x, y));
    [OuterObjective] public Tensor ValidationLoss(Tensor x, Tensor y) => (Model.call(x).squeeze(-1) - y).pow(2).mean();
}
#pragma warning restore HG0007

// An inner objective with negative curvature in some directions: CG stops there and warns at every outer step.
[Hypergradient(Method.ConjugateGradient, Iterations = 30, Tolerance = 1e-12)]
public partial class IndefiniteRidge(Tensor initialWeight) : RidgeBase(initialWeight)
{
    [InnerObjective] public Tensor TrainLoss(Tensor x, Tensor y) => RidgeData.Inner(Model.weight, LogDecay, (x, y)) - 1.5 * Model.weight.pow(2).sum();
    [OuterObjective] public Tensor ValidationLoss(Tensor x, Tensor y) => (Model.call(x).squeeze(-1) - y).pow(2).mean();
}

// A decay used as it is (not through exp): an outer step that makes it very negative makes the inner problem unbounded.
[Hypergradient(Method.ConjugateGradient, Iterations = 30, Tolerance = 1e-12)]
public partial class LinearDecayRidge(Tensor initialWeight)
{
    [Inner] public Linear Model { get; } = BoundedRidgeDecay.Linear(initialWeight);
    [Outer] public Parameter Decay { get; } = new(ones(initialWeight.shape[1], dtype: float64));

    [InnerObjective] public Tensor TrainLoss(Tensor x, Tensor y) => (Model.call(x).squeeze(-1) - y).pow(2).mean() + 0.5 * (Model.weight.squeeze(0).pow(2) * Decay).sum();
    [OuterObjective] public Tensor ValidationLoss(Tensor x, Tensor y) => (Model.call(x).squeeze(-1) - y).pow(2).mean();
}

[Hypergradient(Method.ReverseUnroll, UnrollSteps = 5)]
public partial class UnrolledLinearDecayRidge(Tensor initialWeight)
{
    [Inner] public Linear Model { get; } = BoundedRidgeDecay.Linear(initialWeight);
    [Outer] public Parameter Decay { get; } = new(ones(initialWeight.shape[1], dtype: float64));

    [InnerObjective] public Tensor TrainLoss(Tensor x, Tensor y) => (Model.call(x).squeeze(-1) - y).pow(2).mean() + 0.5 * (Model.weight.squeeze(0).pow(2) * Decay).sum();
    [OuterObjective] public Tensor ValidationLoss(Tensor x, Tensor y) => (Model.call(x).squeeze(-1) - y).pow(2).mean();
}
