using System;
using System.Linq;
using static TorchSharp.torch;

namespace Hypergrad.Benchmarks.Comparison;

/// <summary>
/// The hyper-cleaning sample's data (samples/HyperCleaning): training images of which a fraction carry a wrong label
/// (another class drawn uniformly), clean validation images (disjoint, from the same split) and test images; pixels
/// centred by the training images' mean.
/// </summary>
/// <param name="TrainX">Training images, float32 [n, 784].</param>
/// <param name="NoisyTrainY">Their labels after corruption, int64 [n].</param>
/// <param name="Corrupted">bool [n]: which training labels were replaced (never seen by the methods).</param>
/// <param name="ValidationX">Clean validation images.</param>
/// <param name="ValidationY">Their labels.</param>
/// <param name="TestX">Test images.</param>
/// <param name="TestY">Their labels.</param>
public sealed record NoisyFashionMnist(Tensor TrainX, Tensor NoisyTrainY, Tensor Corrupted, Tensor ValidationX, Tensor ValidationY, Tensor TestX, Tensor TestY)
{
    /// <summary>Fashion-MNIST's classes.</summary>
    public const int Classes = 10;

    /// <summary>Draws the sets and the corruption for <paramref name="seed"/>.</summary>
    public static NoisyFashionMnist Load(int trainCount, int validationCount, int testCount, double corruptedFraction, int seed)
    {
        var train = FashionMnistCache.Train;
        var random = new Random(seed);
        var order = Enumerable.Range(0, (int)train.Count).Select(i => (long)i).ToArray();
        random.Shuffle(order);
        using var trainRows = tensor(order[..trainCount]);
        using var validationRows = tensor(order[trainCount..(trainCount + validationCount)]);
        using var images = train.Flattened();

        var labels = train.Labels.index_select(0, trainRows).data<long>().ToArray();
        var corrupted = new bool[trainCount];
        foreach (var i in Enumerable.Range(0, trainCount).OrderBy(_ => random.Next()).Take((int)(corruptedFraction * trainCount)))
        {
            labels[i] = (labels[i] + 1 + random.Next(Classes - 1)) % Classes;   // any class but the true one
            corrupted[i] = true;
        }

        var test = FashionMnistCache.Test.Take(testCount);
        var trainX = images.index_select(0, trainRows);
        using var mean = trainX.mean([0]);
        return new NoisyFashionMnist(trainX.sub_(mean), tensor(labels), tensor(corrupted),
            images.index_select(0, validationRows).sub_(mean), train.Labels.index_select(0, validationRows),
            test.Flattened().sub(mean), test.Labels);
    }
}
