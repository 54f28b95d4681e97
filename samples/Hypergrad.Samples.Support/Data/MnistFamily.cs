using System.IO;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace Hypergrad.Samples.Data;

/// <summary>
/// Loads datasets that use MNIST's file layout: <c>train-images-idx3-ubyte</c>, <c>train-labels-idx1-ubyte</c>,
/// <c>t10k-images-idx3-ubyte</c>, <c>t10k-labels-idx1-ubyte</c>, each optionally gzip-compressed (<c>.gz</c>).
/// </summary>
public static class MnistFamily
{
    /// <summary>
    /// Reads one split from <paramref name="directory"/>: images as float32 in [0, 1], labels as int64.
    /// </summary>
    /// <param name="directory">The folder holding the four files.</param>
    /// <param name="split">Training or test part.</param>
    /// <param name="datasetName">How errors name the dataset, e.g. "Fashion-MNIST".</param>
    /// <param name="howToGet">One sentence telling the user how to obtain the files, used when they are missing.</param>
    /// <exception cref="HypergradException">A file is missing or damaged, or images and labels disagree in number.</exception>
    public static LabeledImages Load(string directory, DatasetSplit split, string datasetName, string howToGet)
    {
        string prefix = split == DatasetSplit.Train ? "train" : "t10k";
        var imagesPath = Find(directory, $"{prefix}-images-idx3-ubyte", datasetName, howToGet);
        var labelsPath = Find(directory, $"{prefix}-labels-idx1-ubyte", datasetName, howToGet);

        using var rawImages = IdxFile.Read(imagesPath);
        using var rawLabels = IdxFile.Read(labelsPath);
        if (rawImages.dim() != 3 || rawImages.dtype != ScalarType.Byte)
            throw new HypergradException($"'{imagesPath}' must hold unsigned bytes of shape [N, height, width] but holds {rawImages.dtype} of shape [{string.Join(", ", rawImages.shape)}].");
        if (rawLabels.dim() != 1)
            throw new HypergradException($"'{labelsPath}' must hold one label per image (shape [N]) but has shape [{string.Join(", ", rawLabels.shape)}].");
        if (rawLabels.shape[0] != rawImages.shape[0])
            throw new HypergradException($"{datasetName} {split}: '{imagesPath}' has {rawImages.shape[0]} images but '{labelsPath}' has {rawLabels.shape[0]} labels; one of the files is damaged or from another dataset.");

        return new LabeledImages(rawImages.to_type(ScalarType.Float32).div_(255f), rawLabels.to_type(ScalarType.Int64));
    }

    static string Find(string directory, string baseName, string datasetName, string howToGet)
    {
        var candidates = new[] { baseName + ".gz", baseName };
        var found = candidates.Select(name => Path.Combine(directory, name)).FirstOrDefault(File.Exists);
        if (found is not null) return found;
        string where = Directory.Exists(directory) ? $"'{directory}' has no {baseName}.gz (nor {baseName})" : $"the folder '{directory}' does not exist";
        throw new HypergradException($"{datasetName} not found: {where}. {howToGet}");
    }
}
