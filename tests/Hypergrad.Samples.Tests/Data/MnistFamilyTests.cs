using Hypergrad.Samples.Data;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Hypergrad.Samples.Tests.Data;

public sealed class MnistFamilyTests : IDisposable
{
    readonly string folder = Directory.CreateTempSubdirectory("hypergrad-mnist-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    void WriteSplit(string prefix, byte[] pixels, int count, int side, byte[] labels, bool gzip)
    {
        var images = IdxFileTests.Idx(0x08, new[] { count, side, side }, pixels);
        var labelFile = IdxFileTests.Idx(0x08, new[] { labels.Length }, labels);
        if (gzip)
        {
            IdxFileTests.WriteGzip(Path.Combine(folder, $"{prefix}-images-idx3-ubyte.gz"), images);
            IdxFileTests.WriteGzip(Path.Combine(folder, $"{prefix}-labels-idx1-ubyte.gz"), labelFile);
        }
        else
        {
            File.WriteAllBytes(Path.Combine(folder, $"{prefix}-images-idx3-ubyte"), images);
            File.WriteAllBytes(Path.Combine(folder, $"{prefix}-labels-idx1-ubyte"), labelFile);
        }
    }

    [Fact]
    public void Loads_images_scaled_to_unit_interval_and_labels_as_int64()
    {
        var pixels = new byte[] { 0, 255, 51, 102, /* image 2 */ 255, 0, 0, 204 };
        WriteSplit("train", pixels, count: 2, side: 2, labels: new byte[] { 9, 3 }, gzip: true);
        WriteSplit("t10k", new byte[] { 1, 2, 3, 4 }, count: 1, side: 2, labels: new byte[] { 7 }, gzip: false);

        var train = FashionMnist.Load(DatasetSplit.Train, folder);
        var test = FashionMnist.Load(DatasetSplit.Test, folder);

        Assert.Equal(ScalarType.Float32, train.Images.dtype);
        Assert.Equal(new long[] { 2, 2, 2 }, train.Images.shape);
        Assert.Equal(pixels.Select(p => p / 255f), train.Images.data<float>().ToArray());
        Assert.Equal(ScalarType.Int64, train.Labels.dtype);
        Assert.Equal(new long[] { 9, 3 }, train.Labels.data<long>().ToArray());
        Assert.Equal(new long[] { 2, 4 }, train.Flattened().shape);
        Assert.Equal(1, test.Count);
        Assert.Equal(7L, test.Labels[0].item<long>());
    }

    [Fact]
    public void Missing_files_say_how_to_install_the_debian_package()
    {
        var absent = Path.Combine(folder, "nowhere");

        var e = Assert.Throws<HypergradException>(() => FashionMnist.Load(DatasetSplit.Train, absent));

        Assert.Contains("Fashion-MNIST not found", e.Message);
        Assert.Contains($"the folder '{absent}' does not exist", e.Message);
        Assert.Contains("apt-get install dataset-fashion-mnist", e.Message);
    }

    [Fact]
    public void Images_and_labels_that_disagree_in_number_are_refused()
    {
        WriteSplit("train", new byte[8], count: 2, side: 2, labels: new byte[] { 1, 2, 3 }, gzip: false);

        var e = Assert.Throws<HypergradException>(() => FashionMnist.Load(DatasetSplit.Train, folder));

        Assert.Contains("2 images", e.Message);
        Assert.Contains("3 labels", e.Message);
    }

    [Fact]
    public void Debian_fashion_mnist_test_split_has_1000_images_of_each_class()
    {
        // README's set-up installs the package; this checks the reader on the real 10,000 test images.
        var test = FashionMnist.Load(DatasetSplit.Test);

        Assert.Equal(new long[] { 10000, 28, 28 }, test.Images.shape);
        Assert.Equal(Enumerable.Repeat(1000L, 10), test.Labels.bincount(null).data<long>().ToArray());
        Assert.Equal(9L, test.Labels[0].item<long>()); // the first test image is an ankle boot
        Assert.InRange(test.Images.max().item<float>(), 0.99f, 1f);
        Assert.Equal(0f, test.Images.min().item<float>());
    }
}
