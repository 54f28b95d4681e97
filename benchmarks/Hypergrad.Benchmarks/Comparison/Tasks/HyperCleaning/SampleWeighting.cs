using Hypergrad;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using static TorchSharp.torch.nn.functional;

namespace Hypergrad.Benchmarks.Comparison;

/// <summary>
/// Data hyper-cleaning (Franceschi et al. 2017), as in samples/HyperCleaning: a linear classifier trained on noisy
/// labels, every training sample i weighted by σ(sᵢ), the weights tuned on clean validation images:
/// <code>
/// inner: W*(s) = argmin_W  mean_i σ(sᵢ)·CE(W xᵢ, ỹᵢ) + ½ρ‖W‖²
/// outer: min_s  CE(validation; W*(s))
/// </code>
/// Batches carry their rows' indices, so that a mini-batch weighs its rows by their own sᵢ. Declared once here; each
/// subclass (SampleWeightingMethods.cs) only chooses the method.
/// </summary>
public abstract class SampleWeighting(int samples, int features, EvaluationCounter counter)
{
    /// <summary>ρ, the classifier's ridge (the sample's, fixed).</summary>
    public const double Ridge = 1e-3;

    /// <summary>The classifier, starting at zero.</summary>
    [Inner] public Linear Model { get; } = ZeroModel(features);

    /// <summary>sᵢ, the logit of training sample i's weight (σ(0) = ½ at the start).</summary>
    [Outer] public Parameter SampleLogits { get; } = new(zeros(samples));

    /// <summary>The weighted training loss of a batch.</summary>
    [InnerObjective]
    public Tensor TrainLoss(Tensor x, Tensor y, Tensor rows)
    {
        counter.Inner(x.shape[0], is_grad_enabled());
        return (SampleLogits.index_select(0, rows).sigmoid() * cross_entropy(Model.call(x), y, reduction: Reduction.None)).mean()
            + 0.5 * Ridge * Model.weight!.pow(2).sum();
    }

    /// <summary>Cross-entropy on clean validation images.</summary>
    [OuterObjective]
    public Tensor ValidationLoss(Tensor x, Tensor y, Tensor rows)
    {
        counter.Outer(x.shape[0], is_grad_enabled());
        return cross_entropy(Model.call(x), y);
    }

    static Linear ZeroModel(int features)
    {
        var model = Linear(features, NoisyFashionMnist.Classes);
        using (no_grad())
        {
            model.weight!.zero_();
            model.bias!.zero_();
        }
        return model;
    }
}
