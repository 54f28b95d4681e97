using Hypergrad;
using Hypergrad.Solving;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace WeightDecay;

// The same bilevel problem three times, once per way of computing its hypergradient:
//   inner: w*(λ) = argmin_w  BCE(train; w) + ½ Σⱼ exp(λⱼ) wⱼ²
//   outer: min_λ  BCE(validation; w*(λ))
// The attribute is the only difference; the source generator writes each class's Run and ComputeHypergradient.

/// <summary>What the sample needs from each of the three classes (the generated <c>Run</c> included).</summary>
public interface IDecayTuning
{
    /// <summary>The logistic-regression model (inner variable).</summary>
    Linear Model { get; }
    /// <summary>log of the per-weight decays (outer variable).</summary>
    Parameter LogDecay { get; }
    /// <summary>The outer objective.</summary>
    Tensor ValidationLoss(Tensor x, Tensor y);
    /// <summary>The generated solver loop.</summary>
    BilevelRunResult Run(IEnumerable<(Tensor x, Tensor y)> train, IEnumerable<(Tensor x, Tensor y)> validation,
        BilevelOptions options, IProgress<BilevelProgress>? progress = null, CancellationToken cancellationToken = default);
}

/// <summary>Implicit differentiation with a rank-10 Nyström approximation of (H + ρI)⁻¹.</summary>
[Hypergradient(Method.Nystrom, Rank = 10, Rho = 1.0, Seed = 1)]
public partial class NystromDecayTuning(int features) : IDecayTuning
{
    [Inner] public Linear Model { get; } = Logistic.ZeroModel(features);
    [Outer] public Parameter LogDecay { get; } = new(zeros(features));

    [InnerObjective]
    public Tensor TrainLoss(Tensor x, Tensor y) => Logistic.Loss(Model, x, y) + Logistic.DecayPenalty(Model, LogDecay);

    [OuterObjective]
    public Tensor ValidationLoss(Tensor x, Tensor y) => Logistic.Loss(Model, x, y);
}

/// <summary>Implicit differentiation with conjugate gradient on H x = ∇_w F (at most 20 iterations).</summary>
[Hypergradient(Method.ConjugateGradient, Iterations = 20, Tolerance = 1e-5)]
public partial class ConjugateGradientDecayTuning(int features) : IDecayTuning
{
    [Inner] public Linear Model { get; } = Logistic.ZeroModel(features);
    [Outer] public Parameter LogDecay { get; } = new(zeros(features));

    [InnerObjective]
    public Tensor TrainLoss(Tensor x, Tensor y) => Logistic.Loss(Model, x, y) + Logistic.DecayPenalty(Model, LogDecay);

    [OuterObjective]
    public Tensor ValidationLoss(Tensor x, Tensor y) => Logistic.Loss(Model, x, y);
}

/// <summary>Reverse-mode differentiation through every inner step between two outer steps.</summary>
[Hypergradient(Method.ReverseUnroll)]
public partial class ReverseModeDecayTuning(int features) : IDecayTuning
{
    [Inner] public Linear Model { get; } = Logistic.ZeroModel(features);
    [Outer] public Parameter LogDecay { get; } = new(zeros(features));

    [InnerObjective]
    public Tensor TrainLoss(Tensor x, Tensor y) => Logistic.Loss(Model, x, y) + Logistic.DecayPenalty(Model, LogDecay);

    [OuterObjective]
    public Tensor ValidationLoss(Tensor x, Tensor y) => Logistic.Loss(Model, x, y);
}
