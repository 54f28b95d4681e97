using TorchSharp;

namespace Hypergrad.Optimizers;

/// <summary>
/// The hyperparameters the Adam family (<see cref="DifferentiableAdam"/>, <see cref="DifferentiableAdamW"/>, <see cref="DifferentiableAdaMax"/>, <see cref="DifferentiableRAdam"/>) shares: learning rate, the decays
/// β₁ of the first moment and β₂ of the second moment (or infinity norm), eps and weight decay.
/// </summary>
public abstract class MomentOptimizer : DifferentiableOptimizer
{
    /// <summary>Validates and stores the shared hyperparameters.</summary>
    protected MomentOptimizer(Hyperparameter learningRate, double beta1, double beta2, double eps, Hyperparameter weightDecay)
    {
        LearningRate = learningRate; Beta1 = beta1; Beta2 = beta2; Eps = eps; WeightDecay = weightDecay;
        Register(LearningRate, "learningRate");
        Register(WeightDecay, "weightDecay");
        Require(beta1 >= 0 && beta1 < 1, "beta1", $"must be in [0, 1), not {beta1}");
        Require(beta2 >= 0 && beta2 < 1, "beta2", $"must be in [0, 1), not {beta2}");
        Require(eps >= 0, "eps", "must not be negative");
    }

    /// <summary>Step size (may be a tensor: an outer variable).</summary>
    public Hyperparameter LearningRate { get; }
    /// <summary>Decay of the first moment.</summary>
    public double Beta1 { get; }
    /// <summary>Decay of the second moment (AdaMax: of the infinity norm).</summary>
    public double Beta2 { get; }
    /// <summary>Keeps the denominator away from zero.</summary>
    public double Eps { get; }
    /// <summary>Weight decay (an L2 term added to the gradient, except in AdamW where it is decoupled).</summary>
    public Hyperparameter WeightDecay { get; }
}
