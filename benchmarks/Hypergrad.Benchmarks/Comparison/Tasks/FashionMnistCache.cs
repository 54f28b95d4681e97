using Hypergrad.Samples.Data;

namespace Hypergrad.Benchmarks.Comparison;

/// <summary>Fashion-MNIST's two splits, read once per process (both tasks draw their seeds' subsets from them).</summary>
public static class FashionMnistCache
{
    static LabeledImages? train, test;

    /// <summary>The folder with the IDX files; Debian's location when null.</summary>
    public static string? Directory { get; set; }

    /// <summary>The 60,000 training images.</summary>
    public static LabeledImages Train => train ??= FashionMnist.Load(DatasetSplit.Train, Directory);

    /// <summary>The 10,000 test images.</summary>
    public static LabeledImages Test => test ??= FashionMnist.Load(DatasetSplit.Test, Directory);
}
