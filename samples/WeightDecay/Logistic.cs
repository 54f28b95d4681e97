using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using static TorchSharp.torch.nn.functional;

namespace WeightDecay;

/// <summary>The pieces of logistic regression with one decay per weight, shared by the three tuning classes.</summary>
public static class Logistic
{
    /// <summary>A linear model without bias, its weights starting at zero (as in hypergrad's example).</summary>
    public static Linear ZeroModel(int features)
    {
        var model = Linear(features, 1, hasBias: false);
        using (no_grad()) model.weight!.zero_();
        return model;
    }

    /// <summary>Mean binary cross-entropy of the model's logits against 0/1 targets.</summary>
    public static Tensor Loss(Linear model, Tensor x, Tensor y) =>
        binary_cross_entropy_with_logits(model.call(x).squeeze(-1), y);

    /// <summary>½ Σⱼ exp(logDecayⱼ)·wⱼ²: each weight has its own decay, kept positive by the exponential.</summary>
    public static Tensor DecayPenalty(Linear model, Tensor logDecay) =>
        0.5 * (model.weight!.squeeze(0).pow(2) * logDecay.exp()).sum();
}
