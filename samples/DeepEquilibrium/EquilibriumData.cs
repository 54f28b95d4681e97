using Hypergrad.Samples.Data;
using static TorchSharp.torch;

namespace DeepEquilibrium;

/// <summary>Flattened Fashion-MNIST images, centred by the training images' mean.</summary>
/// <param name="TrainX">float32 [n, 784].</param>
/// <param name="TrainY">int64 [n].</param>
/// <param name="ValidationX">Held out of Fashion-MNIST's training split: chooses the baselines' settings.</param>
/// <param name="ValidationY">Validation labels.</param>
/// <param name="TestX">float32 [m, 784]: reported only.</param>
/// <param name="TestY">int64 [m].</param>
public sealed record EquilibriumData(Tensor TrainX, Tensor TrainY, Tensor ValidationX, Tensor ValidationY, Tensor TestX, Tensor TestY)
{
    /// <summary>Number of classes of Fashion-MNIST.</summary>
    public const int Classes = 10;

    /// <summary>
    /// Shuffles Fashion-MNIST's training split with <paramref name="seed"/> and takes <paramref name="trainCount"/>
    /// training and then <paramref name="validationCount"/> validation images (disjoint); the test images are the first
    /// <paramref name="testCount"/> of its test split.
    /// </summary>
    public static EquilibriumData Load(string? directory, int trainCount, int validationCount, int testCount, int seed)
    {
        // Only the returned tensors outlive the call: the full dataset's copies (hundreds of MB) are freed here.
        using var scope = NewDisposeScope();
        var train = FashionMnist.Load(DatasetSplit.Train, directory);
        if (trainCount < 1 || validationCount < 1 || trainCount + validationCount > train.Count)
            throw new Hypergrad.HypergradException(
                $"Training ({trainCount}) and validation ({validationCount}) images must each be at least 1 and together at most Fashion-MNIST's {train.Count} training images; lower --train or --validation.");
        var test = FashionMnist.Load(DatasetSplit.Test, directory).Take(testCount);
        var order = Enumerable.Range(0, (int)train.Count).ToArray();
        new Random(seed).Shuffle(order);
        using var rows = tensor(order[..trainCount].Select(i => (long)i).ToArray());
        using var validationRows = tensor(order[trainCount..(trainCount + validationCount)].Select(i => (long)i).ToArray());
        var images = train.Flattened();
        var trainX = images.index_select(0, rows);
        var mean = trainX.mean(new long[] { 0 });
        return new EquilibriumData((trainX - mean).MoveToOuterDisposeScope(), train.Labels.index_select(0, rows).MoveToOuterDisposeScope(),
            (images.index_select(0, validationRows) - mean).MoveToOuterDisposeScope(), train.Labels.index_select(0, validationRows).MoveToOuterDisposeScope(),
            (test.Flattened() - mean).MoveToOuterDisposeScope(), test.Labels.clone().MoveToOuterDisposeScope());
    }
}
