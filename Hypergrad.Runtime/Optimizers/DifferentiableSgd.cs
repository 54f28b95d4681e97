using System;
using System.Collections.Generic;
using TorchSharp;
using static TorchSharp.torch;

namespace Hypergrad.Optimizers;

/// <summary>
/// Differentiable stochastic gradient descent (TorchOpt's <c>sgd</c>; <c>torch.optim.SGD</c> step for step):
/// g ← ∇ + wd·w; buf ← μ·buf + (1 − dampening)·g (buf = g on the first step); g ← g + μ·buf (Nesterov) or buf;
/// w ← w − lr·g.
/// </summary>
public sealed class DifferentiableSgd : DifferentiableOptimizer
{
    /// <summary>Creates the optimizer with a learning rate computed at every step by <paramref name="learningRate"/>, e.g. <c>() =&gt; LogLr.exp()</c> for an outer variable LogLr (see <see cref="Hyperparameter.PerStep"/>).</summary>
    public DifferentiableSgd(Func<Tensor> learningRate, Hyperparameter momentum = default, double dampening = 0, Hyperparameter weightDecay = default, bool nesterov = false)
        : this(Hyperparameter.PerStep(learningRate), momentum, dampening, weightDecay, nesterov) { }

    /// <summary>Creates the optimizer. <paramref name="learningRate"/>, <paramref name="momentum"/> and
    /// <paramref name="weightDecay"/> may be tensors (outer variables).</summary>
    public DifferentiableSgd(Hyperparameter learningRate, Hyperparameter momentum = default, double dampening = 0, Hyperparameter weightDecay = default, bool nesterov = false)
    {
        LearningRate = learningRate; Momentum = momentum; Dampening = dampening; WeightDecay = weightDecay; Nesterov = nesterov;
        Register(LearningRate, "learningRate");
        Register(Momentum, "momentum");
        Register(WeightDecay, "weightDecay");
        Require(nesterov == false || (!momentum.IsZero && dampening == 0), "Nesterov", "needs a momentum and zero dampening (as in torch.optim.SGD)");
    }

    /// <summary>Step size.</summary>
    public Hyperparameter LearningRate { get; }
    /// <summary>Momentum factor μ (0: plain SGD).</summary>
    public Hyperparameter Momentum { get; }
    /// <summary>Dampening of the momentum.</summary>
    public double Dampening { get; }
    /// <summary>L2 penalty added to the gradient.</summary>
    public Hyperparameter WeightDecay { get; }
    /// <summary>Nesterov momentum.</summary>
    public bool Nesterov { get; }

    /// <inheritdoc/>
    protected override string[] SlotNames => Momentum.IsZero ? [] : ["momentum_buffer"];

    /// <inheritdoc/>
    protected override Tensor Update(Tensor parameter, Tensor gradient, Tensor[] slots, int step)
    {
        var g = WithWeightDecay(gradient, parameter, WeightDecay);
        if (!Momentum.IsZero)
        {
            var buffer = step == 1 ? g : Momentum.Times(slots[0]).Plus(g.Scaled(1 - Dampening));
            slots[0] = buffer;
            g = Nesterov ? g.Plus(Momentum.Times(buffer)) : buffer;
        }
        return parameter - LearningRate.Times(g);
    }

    /// <inheritdoc/>
    private protected override void UpdateInPlace(Tensor parameter, Tensor gradient, IReadOnlyList<Tensor> slots, int step)
    {
        var g = WithWeightDecay(gradient, parameter, WeightDecay);
        if (!Momentum.IsZero)
        {
            var buffer = slots[0];
            if (step == 1) buffer.copy_(g);
            else buffer.copy_(Momentum.Times(buffer).PlusScaled_(g, 1 - Dampening));
            g = Nesterov ? g.Plus(Momentum.Times(buffer)) : buffer;
        }
        if (LearningRate.IsConstant) parameter.PlusScaled_(g, -LearningRate.Constant);
        else parameter.sub_(LearningRate.Times(g));
    }
}
