using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace FewShotSinusoid;

/// <summary>MAML's sinusoid regressor: 1 → 40 → 40 → 1 with ReLU.</summary>
public static class SinusoidNetwork
{
    /// <summary>A new network with TorchSharp's default (random) initialization.</summary>
    public static Sequential Create(int hidden = 40) =>
        Sequential(Linear(1, hidden), ReLU(), Linear(hidden, hidden), ReLU(), Linear(hidden, 1));

    /// <summary>Σ ‖p − q‖² over the paired parameters of two networks of the same architecture.</summary>
    public static Tensor SquaredDistance(Module a, Module b) =>
        a.parameters().Zip(b.parameters(), (p, q) => (p - q).pow(2).sum()).Aggregate((x, y) => x + y);

    /// <summary>Copies <paramref name="source"/>'s parameter values into <paramref name="target"/>.</summary>
    public static void CopyInto(Module source, Module target)
    {
        using var noGrad = no_grad();
        foreach (var (from, to) in source.parameters().Zip(target.parameters())) to.copy_(from);
    }
}
