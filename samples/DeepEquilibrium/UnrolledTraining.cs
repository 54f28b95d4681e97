using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn.functional;

namespace DeepEquilibrium;

/// <summary>
/// The baseline: the same weight-tied network cut at a fixed depth K (K applications of f from z = 0),
/// trained the ordinary way by backpropagation through all K applications. Its graph, and so its
/// memory, grows with K; K = 1 is a one-hidden-layer MLP (W never acts on z = 0).
/// </summary>
public static class UnrolledTraining
{
    /// <summary>One optimizer step on one batch; returns the batch's loss.</summary>
    public static double Step(EquilibriumNetwork network, int depth, Tensor inputs, Tensor labels, optim.Optimizer optimizer)
    {
        using var scope = NewDisposeScope();
        optimizer.zero_grad();
        var loss = Loss(network, depth, inputs, labels);
        loss.backward();
        optimizer.step();
        return loss.ToDouble();
    }

    /// <summary>The batch's cross-entropy through <paramref name="depth"/> applications of f, with its whole graph.</summary>
    public static Tensor Loss(EquilibriumNetwork network, int depth, Tensor inputs, Tensor labels) =>
        cross_entropy(network.Logits(network.Unroll(inputs, depth)), labels);

    /// <summary>Logits of the depth-K network (evaluation; no graph).</summary>
    public static Tensor Logits(EquilibriumNetwork network, int depth, Tensor inputs)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        return network.Logits(network.Unroll(inputs, depth)).MoveToOuterDisposeScope();
    }
}
