using TorchSharp;
using static TorchSharp.torch;

namespace Hypergrad.Generators.Tests.EndToEnd;

/// <summary>A small float64 regression problem: a few training and validation batches and an initial weight.</summary>
internal sealed class RidgeData
{
    public const int Features = 4;

    public RidgeData(int seed = 7)
    {
        var generator = new torch.Generator((ulong)seed);
        var truth = randn(Features, dtype: float64, generator: generator);
        (Tensor, Tensor) Batch(int rows, double noise)
        {
            var x = randn(rows, Features, dtype: float64, generator: generator);
            return (x, x.matmul(truth) + noise * randn(rows, dtype: float64, generator: generator));
        }
        Train = Enumerable.Range(0, 3).Select(_ => Batch(16, 0.5)).ToArray();
        Validation = Enumerable.Range(0, 2).Select(_ => Batch(16, 0.0)).ToArray();
        InitialWeight = 0.1 * randn(1, Features, dtype: float64, generator: generator);
    }

    public (Tensor x, Tensor y)[] Train { get; }
    public (Tensor x, Tensor y)[] Validation { get; }
    public Tensor InitialWeight { get; }

    /// <summary>Mean validation loss of weight <paramref name="w"/> (1 × Features) over all validation batches.</summary>
    public double ValidationLoss(Tensor w) =>
        Validation.Select(b => (b.x.matmul(w.squeeze(0)) - b.y).pow(2).mean().item<double>()).Average();

    public static Tensor Inner(Tensor w, Tensor logDecay, (Tensor x, Tensor y) b) =>
        (b.x.matmul(w.squeeze(0)) - b.y).pow(2).mean() + 0.5 * (w.squeeze(0).pow(2) * logDecay.exp()).sum();
}
