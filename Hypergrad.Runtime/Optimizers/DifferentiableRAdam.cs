using System;
using TorchSharp;
using static TorchSharp.torch;

namespace Hypergrad.Optimizers;

/// <summary>
/// Differentiable rectified Adam (PyTorch's <c>torch.optim.RAdam</c>): Adam's moments, with the adaptive
/// step used only once the variance of the adaptive rate is tractable (ρₜ &gt; 5), rectified by r(ρₜ);
/// before that, bias-corrected momentum SGD.
/// </summary>
/// <remarks>
/// TorchSharp 0.107's <c>torch.optim.RAdam</c> multiplies by the learning rate twice in the rectified branch;
/// this class follows PyTorch (they agree whenever lr = 1 or ρₜ ≤ 5, e.g. the first 5 steps with β₂ = 0.999).
/// </remarks>
public sealed class DifferentiableRAdam : MomentOptimizer
{
    /// <summary>Creates the optimizer with a learning rate computed at every step by <paramref name="learningRate"/>, e.g. <c>() =&gt; LogLr.exp()</c> for an outer variable LogLr (see <see cref="Hyperparameter.PerStep"/>).</summary>
    public DifferentiableRAdam(Func<Tensor> learningRate, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, Hyperparameter weightDecay = default)
        : this(Hyperparameter.PerStep(learningRate), beta1, beta2, eps, weightDecay) { }

    /// <summary>Creates the optimizer; <paramref name="learningRate"/> and <paramref name="weightDecay"/> may be tensors.</summary>
    public DifferentiableRAdam(Hyperparameter? learningRate = null, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, Hyperparameter weightDecay = default)
        : base(learningRate ?? 2e-3, beta1, beta2, eps, weightDecay) { }

    /// <inheritdoc/>
    protected override string[] SlotNames => ["exp_avg", "exp_avg_sq"];

    /// <inheritdoc/>
    protected override Tensor Update(Tensor parameter, Tensor gradient, Tensor[] slots, int step)
    {
        var g = WithWeightDecay(gradient, parameter, WeightDecay);
        var m = slots[0].Scaled(Beta1).Plus(g.Scaled(1 - Beta1));
        var v = slots[1].Scaled(Beta2).Plus((g * g).Scaled(1 - Beta2));
        slots[0] = m; slots[1] = v;
        double biasCorrection1 = 1 - Math.Pow(Beta1, step), biasCorrection2 = 1 - Math.Pow(Beta2, step);
        var mHat = m.DividedBy(biasCorrection1);
        double rhoInf = 2 / (1 - Beta2) - 1;
        double rho = rhoInf - 2 * step * Math.Pow(Beta2, step) / biasCorrection2;
        if (rho <= 5) return parameter - LearningRate.Times(mHat);
        double rectification = Math.Sqrt((rho - 4) * (rho - 2) * rhoInf / ((rhoInf - 4) * (rhoInf - 2) * rho));
        var adaptive = v.sqrt().Plus(Eps).reciprocal().Scaled(Math.Sqrt(biasCorrection2));
        return parameter - LearningRate.Times((mHat * adaptive).Scaled(rectification));
    }
}
