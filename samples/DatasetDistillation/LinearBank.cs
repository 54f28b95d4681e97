using static TorchSharp.torch;
using static TorchSharp.torch.nn.functional;

namespace DatasetDistillation;

/// <summary>
/// Many linear softmax classifiers trained at once by gradient descent on the mean cross-entropy from zero, each with
/// its own step size: the baselines' grids (step sizes × random draws of images) become one batched matrix product
/// per step instead of one small training per grid point. Classifier b after k steps is what
/// <c>PlainTraining.LinearClassifier</c> gives with the same data, step size η_b and k steps (tested).
/// </summary>
/// <remarks>
/// The gradient is written out (softmax minus one-hot, times the inputs) rather than taken by autograd: it is the
/// same number, without a graph per step.
/// </remarks>
public sealed class LinearBank : IDisposable
{
    readonly Tensor learningRates;   // [B, 1, 1]
    Tensor weight;                   // [B, C, D]
    Tensor bias;                     // [B, C]

    /// <summary>Classifiers with zero weights and biases, one per step size.</summary>
    /// <param name="learningRates">η of each classifier.</param>
    /// <param name="features">Input size D.</param>
    /// <param name="classes">Number of classes C.</param>
    /// <param name="dtype">Floating-point type of the weights (the inputs' type).</param>
    public LinearBank(IReadOnlyList<double> learningRates, long features, int classes, ScalarType dtype = ScalarType.Float32)
    {
        if (learningRates.Count == 0 || learningRates.Any(eta => !(eta > 0) || double.IsInfinity(eta)))
            throw new ArgumentException($"LinearBank needs at least one step size, each positive and finite; got [{string.Join(", ", learningRates)}].", nameof(learningRates));
        Count = learningRates.Count;
        Classes = classes;
        // Owned by the bank (disposed with it), not by whatever dispose scope the caller is in.
        this.learningRates = tensor(learningRates.ToArray(), dtype: dtype).view(Count, 1, 1).DetachFromDisposeScope();
        weight = zeros(Count, classes, features, dtype: dtype).DetachFromDisposeScope();
        bias = zeros(Count, classes, dtype: dtype).DetachFromDisposeScope();
    }

    /// <summary>Number of classifiers B.</summary>
    public int Count { get; }

    /// <summary>Number of classes C.</summary>
    public int Classes { get; }

    /// <summary>The weights, [B, C, D] (classifier b's is row b: the <c>weight</c> of a <c>Linear</c>).</summary>
    public Tensor Weight => weight;

    /// <summary>The biases, [B, C].</summary>
    public Tensor Bias => bias;

    /// <summary>
    /// One gradient step of every classifier on the mean cross-entropy of its batch: <paramref name="inputs"/> [N, D]
    /// with <paramref name="labels"/> [N] is every classifier's batch; [B, N, D] with [B, N] gives classifier b its own.
    /// </summary>
    public void Step(Tensor inputs, Tensor labels)
    {
        using var scope = NewDisposeScope();
        bool shared = inputs.dim() == 2;
        var logits = shared ? Logits(inputs) : bmm(inputs, weight.transpose(1, 2)) + bias.unsqueeze(1);   // [B, N, C]
        var perClassifierLabels = shared ? labels.unsqueeze(0).expand(Count, -1) : labels;
        // d mean-CE / d logits = (softmax − one-hot) / N.
        var delta = (softmax(logits, 2) - one_hot(perClassifierLabels, Classes).to_type(logits.dtype)) / logits.shape[1];
        var weightGradient = shared
            ? delta.permute(0, 2, 1).reshape(Count * Classes, -1).matmul(inputs).view(Count, Classes, -1)
            : bmm(delta.transpose(1, 2), inputs);
        var nextWeight = (weight - learningRates * weightGradient).DetachFromDisposeScope();
        var nextBias = (bias - learningRates.view(Count, 1) * delta.sum(1)).DetachFromDisposeScope();
        weight.Dispose();
        bias.Dispose();
        (weight, bias) = (nextWeight, nextBias);
    }

    /// <summary>Every classifier's logits on the same inputs [M, D]: [B, M, C], in one matrix product.</summary>
    public Tensor Logits(Tensor inputs)
    {
        long features = weight.shape[2];
        var flat = inputs.matmul(weight.reshape(Count * Classes, features).t()) + bias.reshape(Count * Classes);
        return flat.view(inputs.shape[0], Count, Classes).transpose(0, 1);
    }

    /// <summary>Each classifier's fraction of correctly classified rows of (<paramref name="inputs"/>, <paramref name="labels"/>).</summary>
    public double[] Accuracies(Tensor inputs, Tensor labels)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var correct = Logits(inputs).argmax(2).eq(labels.unsqueeze(0)).to_type(ScalarType.Float64).mean(new long[] { 1 });
        return correct.data<double>().ToArray();
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        learningRates.Dispose();
        weight.Dispose();
        bias.Dispose();
    }
}
