using System;
using System.Linq;
using static TorchSharp.torch;

namespace Hypergrad.Benchmarks.Comparison;

/// <summary>
/// Fashion-MNIST's two most confused classes as a binary problem: T-shirt/top (label 0, target 0) against Shirt
/// (label 6, target 1). Their 12,000 training images are split at random (per seed) into training and validation
/// images; the test set is their 2,000 test images. Pixels in [0, 1] are centred by the training images' mean.
/// </summary>
/// <param name="TrainX">Training images, float32 [n, 784].</param>
/// <param name="TrainY">float32 [n] of 0/1.</param>
/// <param name="ValidationX">Validation images.</param>
/// <param name="ValidationY">Their targets.</param>
/// <param name="TestX">Test images.</param>
/// <param name="TestY">Their targets.</param>
public sealed record BinaryFashionMnist(Tensor TrainX, Tensor TrainY, Tensor ValidationX, Tensor ValidationY, Tensor TestX, Tensor TestY)
{
    /// <summary>Fashion-MNIST's label of the class with target 0.</summary>
    public const int NegativeClass = 0;
    /// <summary>Fashion-MNIST's label of the class with target 1.</summary>
    public const int PositiveClass = 6;

    /// <summary>Draws <paramref name="trainCount"/> training and <paramref name="validationCount"/> validation images (disjoint) for <paramref name="seed"/>.</summary>
    public static BinaryFashionMnist Load(int trainCount, int validationCount, int seed)
    {
        var (images, targets) = TwoClasses(FashionMnistCache.Train.Flattened(), FashionMnistCache.Train.Labels);
        var (testImages, testTargets) = TwoClasses(FashionMnistCache.Test.Flattened(), FashionMnistCache.Test.Labels);
        if (trainCount + validationCount > images.shape[0])
            throw new ArgumentException($"{trainCount} training and {validationCount} validation images requested, but the two classes have {images.shape[0]} training images.");

        var order = Enumerable.Range(0, (int)images.shape[0]).Select(i => (long)i).ToArray();
        new Random(seed).Shuffle(order);
        using var trainRows = tensor(order[..trainCount]);
        using var validationRows = tensor(order[trainCount..(trainCount + validationCount)]);
        var trainX = images.index_select(0, trainRows);
        using var mean = trainX.mean([0]);
        return new BinaryFashionMnist(
            trainX.sub_(mean), targets.index_select(0, trainRows),
            images.index_select(0, validationRows).sub_(mean), targets.index_select(0, validationRows),
            testImages.sub(mean), testTargets);
    }

    static (Tensor Images, Tensor Targets) TwoClasses(Tensor images, Tensor labels)
    {
        using var rows = labels.eq(NegativeClass).logical_or(labels.eq(PositiveClass)).nonzero().squeeze(1);
        using var kept = labels.index_select(0, rows);
        return (images.index_select(0, rows), kept.eq(PositiveClass).to_type(ScalarType.Float32));
    }
}
