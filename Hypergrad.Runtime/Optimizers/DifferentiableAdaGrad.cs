using System;
using TorchSharp;
using static TorchSharp.torch;

namespace Hypergrad.Optimizers;

/// <summary>
/// Differentiable AdaGrad (<c>torch.optim.Adagrad</c> step for step): g ← ∇ + wd·w; s ← s + g²;
/// w ← w − lr/(1 + (t−1)·lr_decay) · g / (√s + eps).
/// </summary>
public sealed class DifferentiableAdaGrad : DifferentiableOptimizer
{
    /// <summary>Creates the optimizer with a learning rate computed at every step by <paramref name="learningRate"/>, e.g. <c>() =&gt; LogLr.exp()</c> for an outer variable LogLr (see <see cref="Hyperparameter.PerStep"/>).</summary>
    public DifferentiableAdaGrad(Func<Tensor> learningRate, double learningRateDecay = 0, Hyperparameter weightDecay = default, double initialAccumulatorValue = 0, double eps = 1e-10)
        : this(Hyperparameter.PerStep(learningRate), learningRateDecay, weightDecay, initialAccumulatorValue, eps) { }

    /// <summary>Creates the optimizer; <paramref name="learningRate"/> and <paramref name="weightDecay"/> may be tensors.</summary>
    public DifferentiableAdaGrad(Hyperparameter? learningRate = null, double learningRateDecay = 0, Hyperparameter weightDecay = default,
        double initialAccumulatorValue = 0, double eps = 1e-10)
    {
        LearningRate = learningRate ?? 1e-2; LearningRateDecay = learningRateDecay; WeightDecay = weightDecay;
        InitialAccumulatorValue = initialAccumulatorValue; Eps = eps;
        Register(LearningRate, "learningRate");
        Register(WeightDecay, "weightDecay");
        Require(initialAccumulatorValue >= 0, "initialAccumulatorValue", "must not be negative");
    }

    /// <summary>Step size (default 1e-2).</summary>
    public Hyperparameter LearningRate { get; }
    /// <summary>Step-size decay per step.</summary>
    public double LearningRateDecay { get; }
    /// <summary>L2 penalty added to the gradient.</summary>
    public Hyperparameter WeightDecay { get; }
    /// <summary>Starting value of the sum of squared gradients.</summary>
    public double InitialAccumulatorValue { get; }
    /// <summary>Added to the denominator.</summary>
    public double Eps { get; }

    /// <inheritdoc/>
    protected override string[] SlotNames => ["sum"];

    /// <inheritdoc/>
    protected override Tensor InitialSlot(int slot, Tensor parameter) => KeptScalars.FullLike(parameter, InitialAccumulatorValue);

    /// <inheritdoc/>
    protected override Tensor Update(Tensor parameter, Tensor gradient, Tensor[] slots, int step)
    {
        var g = WithWeightDecay(gradient, parameter, WeightDecay);
        var sum = slots[0].Plus(g * g);
        slots[0] = sum;
        var decayed = (g / sum.sqrt().Plus(Eps)).DividedBy(1 + (step - 1) * LearningRateDecay);
        return parameter - LearningRate.Times(decayed);
    }
}
