using Hypergrad;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using static TorchSharp.torch.nn.functional;

namespace Hypergrad.Benchmarks.Comparison;

/// <summary>
/// Logistic regression with one L2 strength per pixel, tuned on validation images:
/// <code>
/// inner: w*(λ) = argmin_w  BCE(train; w) + ½ Σⱼ exp(λⱼ) wⱼ²
/// outer: min_λ  BCE(validation; w*(λ))
/// </code>
/// Declared once here; each subclass (PixelDecayMethods.cs) only chooses the method in its
/// <c>[Hypergradient]</c> attribute, and the generator writes its <c>Run</c>. The objectives tell the
/// <see cref="EvaluationCounter"/> how many samples they are evaluated on.
/// </summary>
public abstract class PixelDecay(int features, EvaluationCounter counter)
{
    /// <summary>Every decay starts at exp(−4) ≈ 0.018 (mean BCE: a moderate ridge for a few thousand images).</summary>
    public const double InitialLogDecay = -4;

    /// <summary>Decays stay ≤ 1: with inner steps η ≤ 1 the penalty's own step 1 − ηλ stays in [0, 1].</summary>
    public const double MaxLogDecay = 0;

    /// <summary>The logistic-regression model (inner variables w, with a bias that is not decayed), starting at zero.</summary>
    [Inner] public Linear Model { get; } = ZeroModel(features);

    /// <summary>λ: log of the per-pixel decays (outer variables), clamped to ≤ <see cref="MaxLogDecay"/> after every outer step.</summary>
    [Outer(Max = MaxLogDecay)] public Parameter LogDecay { get; } = new(full(features, InitialLogDecay));

    /// <summary>The regularised training loss.</summary>
    [InnerObjective]
    public Tensor TrainLoss(Tensor x, Tensor y)
    {
        counter.Inner(x.shape[0], is_grad_enabled());
        return Loss(Model, x, y) + 0.5 * (Model.weight!.squeeze(0).pow(2) * LogDecay.exp()).sum();
    }

    /// <summary>The validation loss the decays are tuned for.</summary>
    [OuterObjective]
    public Tensor ValidationLoss(Tensor x, Tensor y)
    {
        counter.Outer(x.shape[0], is_grad_enabled());
        return Loss(Model, x, y);
    }

    /// <summary>Mean binary cross-entropy of the model's logits against 0/1 targets.</summary>
    public static Tensor Loss(Linear model, Tensor x, Tensor y) => binary_cross_entropy_with_logits(model.call(x).squeeze(-1), y);

    static Linear ZeroModel(int features)
    {
        var model = Linear(features, 1);
        using (no_grad())
        {
            model.weight!.zero_();
            model.bias!.zero_();
        }
        return model;
    }
}
