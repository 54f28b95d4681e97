using System;
using TorchSharp;
using static TorchSharp.torch;

namespace Hypergrad.Optimizers;

/// <summary>
/// Differentiable AdaDelta (<c>torch.optim.Adadelta</c> step for step): g ← ∇ + wd·w; s ← ρs + (1−ρ)g²;
/// δ ← √(a + eps)/√(s + eps) · g; w ← w − lr·δ; a ← ρa + (1−ρ)δ².
/// </summary>
public sealed class DifferentiableAdaDelta : DifferentiableOptimizer
{
    /// <summary>Creates the optimizer with a learning rate computed at every step by <paramref name="learningRate"/>, e.g. <c>() =&gt; LogLr.exp()</c> for an outer variable LogLr (see <see cref="Hyperparameter.PerStep"/>).</summary>
    public DifferentiableAdaDelta(Func<Tensor> learningRate, double rho = 0.9, double eps = 1e-6, Hyperparameter weightDecay = default)
        : this(Hyperparameter.PerStep(learningRate), rho, eps, weightDecay) { }

    /// <summary>Creates the optimizer; <paramref name="learningRate"/> and <paramref name="weightDecay"/> may be tensors.</summary>
    public DifferentiableAdaDelta(Hyperparameter? learningRate = null, double rho = 0.9, double eps = 1e-6, Hyperparameter weightDecay = default)
    {
        LearningRate = learningRate ?? 1.0; Rho = rho; Eps = eps; WeightDecay = weightDecay;
        Register(LearningRate, "learningRate");
        Register(WeightDecay, "weightDecay");
        Require(rho >= 0 && rho <= 1, "rho", $"must be in [0, 1], not {rho}");
    }

    /// <summary>Scale of the update (default 1).</summary>
    public Hyperparameter LearningRate { get; }
    /// <summary>Decay of the running averages.</summary>
    public double Rho { get; }
    /// <summary>Added inside both square roots.</summary>
    public double Eps { get; }
    /// <summary>L2 penalty added to the gradient.</summary>
    public Hyperparameter WeightDecay { get; }

    /// <inheritdoc/>
    protected override string[] SlotNames => ["square_avg", "acc_delta"];

    /// <inheritdoc/>
    protected override Tensor Update(Tensor parameter, Tensor gradient, Tensor[] slots, int step)
    {
        var g = WithWeightDecay(gradient, parameter, WeightDecay);
        var squareAverage = slots[0].Scaled(Rho).Plus((g * g).Scaled(1 - Rho));
        var delta = slots[1].Plus(Eps).sqrt() / squareAverage.Plus(Eps).sqrt() * g;
        slots[0] = squareAverage;
        slots[1] = slots[1].Scaled(Rho).Plus((delta * delta).Scaled(1 - Rho));
        return parameter - LearningRate.Times(delta);
    }
}
