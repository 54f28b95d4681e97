using System;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using static TorchSharp.torch.nn.functional;

namespace Hypergrad.Samples;

/// <summary>
/// Baselines trained the ordinary way (TorchSharp's own <c>torch.optim</c>, no hypergradients), so
/// each sample can show what bilevel optimization adds over doing nothing special.
/// </summary>
public static class PlainTraining
{
    /// <summary>
    /// A linear softmax classifier trained from zero weights by full-batch gradient descent on the mean
    /// cross-entropy (plus an optional ridge penalty ½·<paramref name="weightDecay"/>·‖W‖²).
    /// </summary>
    /// <param name="inputs">float32 [N, features].</param>
    /// <param name="labels">int64 [N] class indices.</param>
    /// <param name="classes">Number of classes.</param>
    /// <param name="steps">Gradient steps.</param>
    /// <param name="learningRate">Step size of SGD.</param>
    /// <param name="weightDecay">Ridge strength on the weights (not the bias).</param>
    public static Linear LinearClassifier(Tensor inputs, Tensor labels, int classes, int steps, double learningRate, double weightDecay = 0)
    {
        var model = Linear(inputs.shape[1], classes);
        using (no_grad())
        {
            model.weight!.zero_();
            model.bias!.zero_();
        }
        using var optimizer = optim.SGD(model.parameters(), learningRate);
        for (int step = 0; step < steps; step++)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            var loss = cross_entropy(model.call(inputs), labels) + 0.5 * weightDecay * model.weight!.pow(2).sum();
            loss.backward();
            optimizer.step();
        }
        return model;
    }

    /// <summary>Fraction of rows whose arg-max logit is the label.</summary>
    public static double Accuracy(Tensor logits, Tensor labels)
    {
        using var scope = NewDisposeScope();
        return logits.argmax(1).eq(labels).to_type(ScalarType.Float64).mean().item<double>();
    }

    /// <summary>Accuracy of <paramref name="model"/> on a dataset, evaluated without building a graph.</summary>
    public static double Accuracy(Module<Tensor, Tensor> model, Tensor inputs, Tensor labels)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        return Accuracy(model.call(inputs), labels);
    }
}
