using Hypergrad.Samples.Data;
using static TorchSharp.torch;

namespace DeepEquilibrium;

/// <summary>Flattened Fashion-MNIST images, centred by the training images' mean.</summary>
/// <param name="TrainX">float32 [n, 784].</param>
/// <param name="TrainY">int64 [n].</param>
/// <param name="TestX">float32 [m, 784].</param>
/// <param name="TestY">int64 [m].</param>
public sealed record EquilibriumData(Tensor TrainX, Tensor TrainY, Tensor TestX, Tensor TestY)
{
    /// <summary>Number of classes of Fashion-MNIST.</summary>
    public const int Classes = 10;

    /// <summary>
    /// <paramref name="trainCount"/> training images drawn at random (seeded) from Fashion-MNIST's training
    /// split and the first <paramref name="testCount"/> of its test split.
    /// </summary>
    public static EquilibriumData Load(string? directory, int trainCount, int testCount, int seed)
    {
        var train = FashionMnist.Load(DatasetSplit.Train, directory);
        var test = FashionMnist.Load(DatasetSplit.Test, directory).Take(testCount);
        var order = Enumerable.Range(0, (int)train.Count).ToArray();
        new Random(seed).Shuffle(order);
        using var rows = tensor(order[..trainCount].Select(i => (long)i).ToArray());
        var trainX = train.Flattened().index_select(0, rows);
        var mean = trainX.mean(new long[] { 0 });
        return new EquilibriumData(trainX - mean, train.Labels.index_select(0, rows), test.Flattened() - mean, test.Labels);
    }
}
