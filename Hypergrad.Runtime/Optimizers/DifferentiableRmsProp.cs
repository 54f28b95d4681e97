using System;
using TorchSharp;
using static TorchSharp.torch;

namespace Hypergrad.Optimizers;

/// <summary>
/// Differentiable RMSProp (<c>torch.optim.RMSprop</c> step for step): g ← ∇ + wd·w; s ← αs + (1−α)g²;
/// centered: ḡ ← αḡ + (1−α)g, d = √(s − ḡ²) + eps, else d = √s + eps; with momentum
/// b ← μb + g/d, w ← w − lr·b, else w ← w − lr·g/d.
/// </summary>
public sealed class DifferentiableRmsProp : DifferentiableOptimizer
{
    /// <summary>Creates the optimizer with a learning rate computed at every step by <paramref name="learningRate"/>, e.g. <c>() =&gt; LogLr.exp()</c> for an outer variable LogLr (see <see cref="Hyperparameter.PerStep"/>).</summary>
    public DifferentiableRmsProp(Func<Tensor> learningRate, double alpha = 0.99, double eps = 1e-8, Hyperparameter weightDecay = default, Hyperparameter momentum = default, bool centered = false)
        : this(Hyperparameter.PerStep(learningRate), alpha, eps, weightDecay, momentum, centered) { }

    /// <summary>Creates the optimizer; <paramref name="learningRate"/>, <paramref name="momentum"/> and
    /// <paramref name="weightDecay"/> may be tensors.</summary>
    public DifferentiableRmsProp(Hyperparameter? learningRate = null, double alpha = 0.99, double eps = 1e-8, Hyperparameter weightDecay = default,
        Hyperparameter momentum = default, bool centered = false)
    {
        LearningRate = learningRate ?? 1e-2; Alpha = alpha; Eps = eps; WeightDecay = weightDecay; Momentum = momentum; Centered = centered;
        Register(LearningRate, "learningRate");
        Register(WeightDecay, "weightDecay");
        Register(Momentum, "momentum");
        Require(alpha >= 0 && alpha <= 1, "alpha", $"must be in [0, 1], not {alpha}");
    }

    /// <summary>Step size (default 1e-2).</summary>
    public Hyperparameter LearningRate { get; }
    /// <summary>Smoothing constant of the squared-gradient average.</summary>
    public double Alpha { get; }
    /// <summary>Added to the denominator.</summary>
    public double Eps { get; }
    /// <summary>L2 penalty added to the gradient.</summary>
    public Hyperparameter WeightDecay { get; }
    /// <summary>Momentum factor (0: none).</summary>
    public Hyperparameter Momentum { get; }
    /// <summary>Normalise by the variance estimate instead of the raw second moment.</summary>
    public bool Centered { get; }

    /// <inheritdoc/>
    protected override string[] SlotNames => ["square_avg", "grad_avg", "momentum_buffer"];

    /// <inheritdoc/>
    protected override Tensor Update(Tensor parameter, Tensor gradient, Tensor[] slots, int step)
    {
        var g = WithWeightDecay(gradient, parameter, WeightDecay);
        var squareAverage = slots[0].Scaled(Alpha).Plus((g * g).Scaled(1 - Alpha));
        slots[0] = squareAverage;
        Tensor denominator;
        if (Centered)
        {
            var gradientAverage = slots[1].Scaled(Alpha).Plus(g.Scaled(1 - Alpha));
            slots[1] = gradientAverage;
            denominator = (squareAverage - gradientAverage * gradientAverage).sqrt().Plus(Eps);
        }
        else denominator = squareAverage.sqrt().Plus(Eps);

        if (Momentum.IsZero) return parameter - LearningRate.Times(g / denominator);
        var buffer = Momentum.Times(slots[2]).Plus(g / denominator);
        slots[2] = buffer;
        return parameter - LearningRate.Times(buffer);
    }
}
