using System;
using TorchSharp;
using static TorchSharp.torch;

namespace Hypergrad.Optimizers;

/// <summary>
/// Differentiable Adam (TorchOpt's <c>adam</c>; <c>torch.optim.Adam</c> step for step when eps_root = 0):
/// m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², w ← w − lr·m̂ / (√(v̂ + eps_root) + eps) with bias-corrected m̂, v̂
/// (AMSGrad: v̂ from the running maximum of v).
/// </summary>
/// <remarks>
/// eps_root &gt; 0 keeps the meta-gradient finite where a gradient is exactly zero (the derivative of √ at 0
/// is infinite); TorchOpt uses it for the same reason.
/// </remarks>
public class DifferentiableAdam : MomentOptimizer
{
    /// <summary>Creates the optimizer with a learning rate computed at every step by <paramref name="learningRate"/>, e.g. <c>() =&gt; LogLr.exp()</c> for an outer variable LogLr (see <see cref="Hyperparameter.PerStep"/>).</summary>
    public DifferentiableAdam(Func<Tensor> learningRate, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double epsRoot = 0,
        Hyperparameter weightDecay = default, bool amsgrad = false)
        : this(Hyperparameter.PerStep(learningRate), beta1, beta2, eps, epsRoot, weightDecay, amsgrad) { }

    /// <summary>Creates the optimizer; <paramref name="learningRate"/> and <paramref name="weightDecay"/> may be tensors.</summary>
    public DifferentiableAdam(Hyperparameter? learningRate = null, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double epsRoot = 0,
        Hyperparameter weightDecay = default, bool amsgrad = false)
        : base(learningRate ?? 1e-3, beta1, beta2, eps, weightDecay)
    {
        EpsRoot = epsRoot;
        Amsgrad = amsgrad;
        Require(epsRoot >= 0, "epsRoot", "must not be negative");
    }

    /// <summary>Added to the second moment inside the square root (keeps meta-gradients finite).</summary>
    public double EpsRoot { get; }

    /// <summary>AMSGrad: normalise by the running maximum of the second moment.</summary>
    public bool Amsgrad { get; }

    /// <summary>True when the weight decay shrinks the weights directly instead of entering the gradient (AdamW).</summary>
    protected virtual bool DecoupledWeightDecay => false;

    /// <inheritdoc/>
    protected override string[] SlotNames => Amsgrad ? ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"] : ["exp_avg", "exp_avg_sq"];

    /// <inheritdoc/>
    protected override Tensor Update(Tensor parameter, Tensor gradient, Tensor[] slots, int step)
    {
        var g = DecoupledWeightDecay ? gradient : WithWeightDecay(gradient, parameter, WeightDecay);
        var m = slots[0].Scaled(Beta1).Plus(g.Scaled(1 - Beta1));
        var v = slots[1].Scaled(Beta2).Plus((g * g).Scaled(1 - Beta2));
        slots[0] = m; slots[1] = v;
        if (Amsgrad) v = slots[2] = maximum(slots[2], v);
        var mHat = m.DividedBy(1 - Math.Pow(Beta1, step));
        var vHat = v.DividedBy(1 - Math.Pow(Beta2, step));
        var denominator = (EpsRoot == 0 ? vHat.sqrt() : vHat.Plus(EpsRoot).sqrt()).Plus(Eps);
        var decayed = DecoupledWeightDecay && !WeightDecay.IsZero ? parameter - LearningRate.Times(WeightDecay.Times(parameter)) : parameter;
        return decayed - LearningRate.Times(mHat / denominator);
    }
}

/// <summary>
/// Differentiable AdamW (<c>torch.optim.AdamW</c> step for step): Adam with decoupled weight decay
/// w ← w·(1 − lr·wd) before the Adam update. Default weight decay 0.01, as in torch.optim.
/// </summary>
public sealed class DifferentiableAdamW : DifferentiableAdam
{
    /// <summary>Creates the optimizer with a learning rate computed at every step by <paramref name="learningRate"/>, e.g. <c>() =&gt; LogLr.exp()</c> for an outer variable LogLr (see <see cref="Hyperparameter.PerStep"/>).</summary>
    public DifferentiableAdamW(Func<Tensor> learningRate, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double epsRoot = 0,
        Hyperparameter? weightDecay = null, bool amsgrad = false)
        : this(Hyperparameter.PerStep(learningRate), beta1, beta2, eps, epsRoot, weightDecay, amsgrad) { }

    /// <summary>Creates the optimizer; <paramref name="learningRate"/> and <paramref name="weightDecay"/> may be tensors.</summary>
    public DifferentiableAdamW(Hyperparameter? learningRate = null, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double epsRoot = 0,
        Hyperparameter? weightDecay = null, bool amsgrad = false)
        : base(learningRate, beta1, beta2, eps, epsRoot, weightDecay ?? 0.01, amsgrad) { }

    /// <inheritdoc/>
    protected override bool DecoupledWeightDecay => true;
}
