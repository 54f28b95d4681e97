using Hypergrad;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using static TorchSharp.torch.nn.functional;

namespace DatasetDistillation;

/// <summary>
/// Dataset distillation (Wang et al. 2018): a handful of synthetic images, with fixed labels, and the step size η of
/// the training that uses them, learned so that a classifier trained on the images alone for a few gradient steps
/// from zero does well on real images.
/// <code>
/// inner: W_T(X, η) = T gradient steps of size η from W = 0 on  CE(W X, labels)
/// outer: min_{X, log η}  CE(real images; W_T(X, η))
/// </code>
/// The hypergradient differentiates through the T steps (reverse mode), also with respect to log η: the inner
/// optimizer's step size is <c>() =&gt; LogLearningRate.exp()</c>, evaluated at every step. The classifier is reset
/// to zero after every outer step, so each window is the full training of a fresh classifier.
/// </summary>
[Hypergradient(Method.ReverseUnroll)]
public partial class Distillation(Tensor initialImages, Tensor labels, int classes, double initialLearningRate)
{
    /// <summary>The classifier trained on the synthetic images, starting at zero (in the images' dtype).</summary>
    [Inner] public Linear Model { get; } = ZeroClassifier.Create(initialImages.shape[1], classes, initialImages.dtype);

    /// <summary>The synthetic images (flattened, in centred pixel space): an outer variable.</summary>
    [Outer] public Parameter Images { get; } = new(initialImages.clone());

    /// <summary>log η, the log step size of the training on the synthetic images: an outer variable (η = exp stays positive).</summary>
    [Outer] public Parameter LogLearningRate { get; } = new(tensor(Math.Log(initialLearningRate), dtype: initialImages.dtype));

    /// <summary>The synthetic images' labels (fixed).</summary>
    public Tensor Labels { get; } = labels;

    /// <summary>The learned step size η = exp(log η).</summary>
    public double LearningRate => Math.Exp(LogLearningRate.ToDouble());

    /// <summary>Training loss on the synthetic images: the inner objective takes no batch.</summary>
    [InnerObjective]
    public Tensor SyntheticLoss() => cross_entropy(Model.call(Images), Labels);

    /// <summary>Loss on a batch of real training images.</summary>
    [OuterObjective]
    public Tensor RealLoss(Tensor x, Tensor y) => cross_entropy(Model.call(x), y);
}

/// <summary>
/// Plain helpers kept outside the bilevel class: they update the model in place under no_grad, which the
/// analyzers rightly flag inside a class whose inner steps are differentiated.
/// </summary>
public static class ZeroClassifier
{
    /// <summary>A linear classifier with zero weights and bias.</summary>
    public static Linear Create(long features, int classes, ScalarType dtype = ScalarType.Float32)
    {
        var model = Linear(features, classes, dtype: dtype);
        Reset(model);
        return model;
    }

    /// <summary>Sets the classifier's weights and bias back to zero (the start of every inner training).</summary>
    public static void Reset(Linear model)
    {
        using var noGrad = no_grad();
        model.weight!.zero_();
        model.bias!.zero_();
    }
}
