using Hypergrad;
using Hypergrad.Solving;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace WeightDecay;

/// <summary>
/// Per-weight decay for logistic regression as a bilevel problem:
/// <code>
/// inner: w*(λ) = argmin_w  BCE(train; w) + ½ Σⱼ exp(λⱼ) wⱼ²
/// outer: min_λ  BCE(validation; w*(λ))
/// </code>
/// The variables and objectives are declared once here; each subclass below only chooses how its
/// hypergradient is computed, and the source generator writes its <c>Run</c>.
/// </summary>
public abstract class DecayTuning(int features)
{
    /// <summary>The logistic-regression model (inner variable), starting at zero.</summary>
    [Inner] public Linear Model { get; } = Logistic.ZeroModel(features);

    /// <summary>
    /// The inner SGD step size the bound below is for (the sample's η): an SGD step multiplies a weight by (1 − η·λ)
    /// through the penalty alone, which diverges once η·λ &gt; 2.
    /// </summary>
    public const double InnerLearningRate = 0.1;

    /// <summary>log(1/η) for η = <see cref="InnerLearningRate"/>: decays above 1/η make the penalty's step overshoot (η·λ &gt; 1).</summary>
    public const double MaxLogDecay = 2.3025850929940455;

    /// <summary>
    /// log of the per-weight decays (outer variable): every decay starts at 1 and stays positive; Run clamps it to
    /// ≤ <see cref="MaxLogDecay"/> after every outer step, so the inner SGD stays stable (η·λ ≤ 1 &lt; 2).
    /// </summary>
    [Outer(Max = MaxLogDecay)] public Parameter LogDecay { get; } = new(zeros(features));

    /// <summary>The regularised training loss.</summary>
    [InnerObjective]
    public Tensor TrainLoss(Tensor x, Tensor y) => Logistic.Loss(Model, x, y) + Logistic.DecayPenalty(Model, LogDecay);

    /// <summary>The validation loss the decays are tuned for.</summary>
    [OuterObjective]
    public Tensor ValidationLoss(Tensor x, Tensor y) => Logistic.Loss(Model, x, y);
}

/// <summary>Implicit differentiation with a rank-10 Nyström approximation of (H + ρI)⁻¹.</summary>
[Hypergradient(Method.Nystrom, Rank = 10, Rho = 1.0, Seed = 1)]
public partial class NystromDecayTuning(int features) : DecayTuning(features);

/// <summary>Implicit differentiation with conjugate gradient on H x = ∇_w F (at most 20 iterations).</summary>
[Hypergradient(Method.ConjugateGradient, Iterations = 20, Tolerance = 1e-5)]
public partial class ConjugateGradientDecayTuning(int features) : DecayTuning(features);

/// <summary>Reverse-mode differentiation through every inner step between two outer steps.</summary>
[Hypergradient(Method.ReverseUnroll)]
public partial class ReverseModeDecayTuning(int features) : DecayTuning(features);

/// <summary>
/// SOBA, single loop: the same class with one word of the attribute changed. Each of Run's steps moves w (one inner SGD
/// step), SOBA's estimate z of H⁻¹∇_w F and the decays together, all scaled by 1/√(t + 1) (SOBA's default schedule).
/// </summary>
[Hypergradient(Method.Soba)]
public partial class SingleLoopDecayTuning(int features) : DecayTuning(features);

/// <summary>SOBA with constant steps (StepExponent = 0): the other schedule of the sample's SOBA grid.</summary>
[Hypergradient(Method.Soba, StepExponent = 0)]
public partial class ConstantStepSingleLoopDecayTuning(int features) : DecayTuning(features);
