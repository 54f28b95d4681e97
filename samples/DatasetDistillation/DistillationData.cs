using Hypergrad.Samples.Data;
using static TorchSharp.torch;

namespace DatasetDistillation;

/// <summary>
/// Fashion-MNIST split three ways: the distillation's real images (its outer objective) and the training data of
/// every baseline, a validation set that only chooses the baselines' settings, and the test set that only reports.
/// </summary>
/// <param name="TrainX">Training images, flattened and centred: float32 [n, 784].</param>
/// <param name="TrainY">Training labels: int64 [n].</param>
/// <param name="ValidationX">Validation images (held out of Fashion-MNIST's training split).</param>
/// <param name="ValidationY">Validation labels.</param>
/// <param name="TestX">Test images (Fashion-MNIST's test split).</param>
/// <param name="TestY">Test labels.</param>
/// <param name="Mean">The training images' mean pixel values, added back to display images.</param>
public sealed record DistillationData(Tensor TrainX, Tensor TrainY, Tensor ValidationX, Tensor ValidationY, Tensor TestX, Tensor TestY, Tensor Mean)
{
    /// <summary>Number of classes of Fashion-MNIST.</summary>
    public const int Classes = 10;

    /// <summary>
    /// Shuffles Fashion-MNIST's 60,000 training images with <paramref name="seed"/> and takes the first
    /// <paramref name="trainCount"/> for training and the next <paramref name="validationCount"/> for validation
    /// (disjoint); the test images are the first <paramref name="testCount"/> of the test split. Pixels are centred
    /// by the training images' mean, which lets plain gradient descent take large steps on a linear model.
    /// </summary>
    public static DistillationData Load(string? directory, int trainCount, int validationCount, int testCount, int seed)
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
        using var trainRows = tensor(order[..trainCount].Select(i => (long)i).ToArray());
        using var validationRows = tensor(order[trainCount..(trainCount + validationCount)].Select(i => (long)i).ToArray());
        var images = train.Flattened();
        var trainX = images.index_select(0, trainRows);
        var mean = trainX.mean(new long[] { 0 });
        return new DistillationData(
            (trainX - mean).MoveToOuterDisposeScope(), train.Labels.index_select(0, trainRows).MoveToOuterDisposeScope(),
            (images.index_select(0, validationRows) - mean).MoveToOuterDisposeScope(), train.Labels.index_select(0, validationRows).MoveToOuterDisposeScope(),
            (test.Flattened() - mean).MoveToOuterDisposeScope(), test.Labels.clone().MoveToOuterDisposeScope(), mean.MoveToOuterDisposeScope());
    }
}
