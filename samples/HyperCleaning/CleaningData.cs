using Hypergrad.Samples.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace HyperCleaning;

/// <summary>
/// The data of the hyper-cleaning protocol (Franceschi et al. 2017): a training set whose labels are
/// partly corrupted, a small clean validation set, and the clean test set.
/// </summary>
/// <param name="TrainX">Training images, flattened: float32 [n, 784].</param>
/// <param name="NoisyTrainY">Training labels after corruption: int64 [n].</param>
/// <param name="Corrupted">Which training labels were corrupted: bool [n] (for reporting only; the method never sees it).</param>
/// <param name="ValidationX">Clean validation images.</param>
/// <param name="ValidationY">Clean validation labels.</param>
/// <param name="TestX">Test images.</param>
/// <param name="TestY">Test labels.</param>
public sealed record CleaningData(Tensor TrainX, Tensor NoisyTrainY, Tensor Corrupted, Tensor ValidationX, Tensor ValidationY, Tensor TestX, Tensor TestY)
{
    /// <summary>Number of classes of Fashion-MNIST.</summary>
    public const int Classes = 10;

    /// <summary>
    /// Takes <paramref name="trainCount"/> training and <paramref name="validationCount"/> validation images
    /// (disjoint) from Fashion-MNIST's training split and <paramref name="testCount"/> from its test split;
    /// replaces the label of a random <paramref name="corruptedFraction"/> of the training images by a
    /// different class drawn uniformly. Pixels are centred by the training images' mean, which lets plain
    /// gradient descent take large steps on a linear model.
    /// </summary>
    public static CleaningData Load(string? directory, int trainCount, int validationCount, int testCount, double corruptedFraction, int seed)
    {
        var train = FashionMnist.Load(DatasetSplit.Train, directory);
        var test = FashionMnist.Load(DatasetSplit.Test, directory);
        var random = new Random(seed);

        var order = Enumerable.Range(0, (int)train.Count).ToArray();
        random.Shuffle(order);
        using var trainRows = tensor(order[..trainCount].Select(i => (long)i).ToArray());
        using var validationRows = tensor(order[trainCount..(trainCount + validationCount)].Select(i => (long)i).ToArray());
        var images = train.Flattened();

        var labels = train.Labels.index_select(0, trainRows).data<long>().ToArray();
        var corrupted = new bool[trainCount];
        foreach (var i in Enumerable.Range(0, trainCount).OrderBy(_ => random.Next()).Take((int)(corruptedFraction * trainCount)))
        {
            labels[i] = (labels[i] + 1 + random.Next(Classes - 1)) % Classes; // any class but the true one
            corrupted[i] = true;
        }

        var testSubset = test.Take(testCount);
        var trainX = images.index_select(0, trainRows);
        var mean = trainX.mean(new long[] { 0 });
        return new CleaningData(
            trainX - mean, tensor(labels), tensor(corrupted),
            images.index_select(0, validationRows) - mean, train.Labels.index_select(0, validationRows),
            testSubset.Flattened() - mean, testSubset.Labels);
    }
}
