using System;
using TorchSharp;
using static TorchSharp.torch;

namespace Hypergrad.Optimizers;

/// <summary>
/// Differentiable AdaMax (<c>torch.optim.Adamax</c> step for step): g ← ∇ + wd·w; m ← β₁m + (1−β₁)g;
/// u ← max(β₂u, |g| + eps); w ← w − lr/(1 − β₁ᵗ) · m/u.
/// </summary>
public sealed class DifferentiableAdaMax : MomentOptimizer
{
    /// <summary>Creates the optimizer with a learning rate computed at every step by <paramref name="learningRate"/>, e.g. <c>() =&gt; LogLr.exp()</c> for an outer variable LogLr (see <see cref="Hyperparameter.PerStep"/>).</summary>
    public DifferentiableAdaMax(Func<Tensor> learningRate, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, Hyperparameter weightDecay = default)
        : this(Hyperparameter.PerStep(learningRate), beta1, beta2, eps, weightDecay) { }

    /// <summary>Creates the optimizer; <paramref name="learningRate"/> and <paramref name="weightDecay"/> may be tensors.</summary>
    public DifferentiableAdaMax(Hyperparameter? learningRate = null, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, Hyperparameter weightDecay = default)
        : base(learningRate ?? 2e-3, beta1, beta2, eps, weightDecay) { }

    /// <inheritdoc/>
    protected override string[] SlotNames => ["exp_avg", "exp_inf"];

    /// <inheritdoc/>
    protected override Tensor Update(Tensor parameter, Tensor gradient, Tensor[] slots, int step)
    {
        var g = WithWeightDecay(gradient, parameter, WeightDecay);
        var m = slots[0].Scaled(Beta1).Plus(g.Scaled(1 - Beta1));
        var u = maximum(slots[1].Scaled(Beta2), g.abs().Plus(Eps));
        slots[0] = m; slots[1] = u;
        return parameter - LearningRate.Times(m / u).DividedBy(1 - Math.Pow(Beta1, step));
    }
}
