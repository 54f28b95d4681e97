using System;
using static TorchSharp.torch;

namespace Hypergrad.Samples.Data;

/// <summary>Images with one class label each, as read from a dataset of the MNIST family.</summary>
/// <param name="Images">float32 tensor [N, height, width] with values in [0, 1].</param>
/// <param name="Labels">int64 tensor [N] of class indices.</param>
public sealed record LabeledImages(Tensor Images, Tensor Labels)
{
    /// <summary>Number of images.</summary>
    public long Count => Images.shape[0];

    /// <summary>Each image flattened to one row: float32 [N, height·width], the input of a linear model.</summary>
    public Tensor Flattened() => Images.reshape(Count, -1);

    /// <summary>The first <paramref name="count"/> images and labels (views, no copy).</summary>
    public LabeledImages Take(long count)
    {
        if (count < 1 || count > Count)
            throw new HypergradException($"Take({count}): the dataset has {Count} images; ask for 1 to {Count}.");
        return new LabeledImages(Images.narrow(0, 0, count), Labels.narrow(0, 0, count));
    }

    /// <summary>The images and labels from <paramref name="start"/> on, <paramref name="count"/> of them (views, no copy).</summary>
    public LabeledImages Slice(long start, long count)
    {
        if (start < 0 || count < 1 || start + count > Count)
            throw new HypergradException($"Slice({start}, {count}): the dataset has {Count} images; the slice must lie inside [0, {Count}).");
        return new LabeledImages(Images.narrow(0, start, count), Labels.narrow(0, start, count));
    }
}
