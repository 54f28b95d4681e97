using System;
using System.Collections.Generic;

namespace Hypergrad.Samples.Data;

/// <summary>
/// Fashion-MNIST (Zalando): 28×28 grey images of clothing in 10 classes, 60,000 for training and 10,000
/// for testing. Debian and Ubuntu ship it as the package <c>dataset-fashion-mnist</c>.
/// </summary>
public static class FashionMnist
{
    /// <summary>Where Debian's package <c>dataset-fashion-mnist</c> installs the files.</summary>
    public const string DebianDirectory = "/usr/share/datasets/fashion-mnist";

    /// <summary>The class names, indexed by label.</summary>
    public static IReadOnlyList<string> ClassNames { get; } = Array.AsReadOnly(new[]
        { "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot" });

    /// <summary>What to do when the files are missing.</summary>
    public const string HowToGet =
        "Install it with 'sudo apt-get install dataset-fashion-mnist' (Debian/Ubuntu; the repository's 'bash .ci/setup' does this), " +
        "or download the four *-ubyte.gz files from https://github.com/zalandoresearch/fashion-mnist into a folder and pass that folder.";

    /// <summary>Reads one split: images float32 [N, 28, 28] in [0, 1], labels int64 [N].</summary>
    /// <param name="split">Training (60,000) or test (10,000) images.</param>
    /// <param name="directory">The folder with the IDX files; <see cref="DebianDirectory"/> when null.</param>
    /// <exception cref="HypergradException">The files are missing (the message says how to get them) or damaged.</exception>
    public static LabeledImages Load(DatasetSplit split, string? directory = null) =>
        MnistFamily.Load(directory ?? DebianDirectory, split, "Fashion-MNIST", HowToGet);
}
