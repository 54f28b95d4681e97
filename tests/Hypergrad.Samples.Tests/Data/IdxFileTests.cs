using System.Buffers.Binary;
using System.IO.Compression;
using Hypergrad.Samples.Data;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Hypergrad.Samples.Tests.Data;

public sealed class IdxFileTests : IDisposable
{
    readonly string folder = Directory.CreateTempSubdirectory("hypergrad-idx-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    /// <summary>Writes an IDX file by the format's definition, independently of the reader.</summary>
    internal static byte[] Idx(byte typeCode, int[] shape, byte[] bigEndianData)
    {
        var bytes = new List<byte> { 0, 0, typeCode, (byte)shape.Length };
        foreach (var size in shape)
        {
            var dim = new byte[4];
            BinaryPrimitives.WriteInt32BigEndian(dim, size);
            bytes.AddRange(dim);
        }
        bytes.AddRange(bigEndianData);
        return bytes.ToArray();
    }

    internal static void WriteGzip(string path, byte[] content)
    {
        using var file = File.Create(path);
        using var gzip = new GZipStream(file, CompressionLevel.Fastest);
        gzip.Write(content);
    }

    [Fact]
    public void Reads_unsigned_bytes_with_their_shape_from_a_gzip_file()
    {
        var pixels = Enumerable.Range(0, 2 * 3 * 4).Select(i => (byte)(i * 10)).ToArray();
        var path = Path.Combine(folder, "images-idx3-ubyte.gz");
        WriteGzip(path, Idx(0x08, new[] { 2, 3, 4 }, pixels));

        using var t = IdxFile.Read(path);

        Assert.Equal(ScalarType.Byte, t.dtype);
        Assert.Equal(new long[] { 2, 3, 4 }, t.shape);
        Assert.Equal(pixels, t.data<byte>().ToArray());
        Assert.Equal(230, t[1, 2, 3].item<byte>()); // element 23, row-major
    }

    [Fact]
    public void Reads_big_endian_int32_and_float64_from_an_uncompressed_file()
    {
        int[] ints = { 1, -2, 70000, int.MinValue };
        var intBytes = new byte[16];
        for (int i = 0; i < 4; i++) BinaryPrimitives.WriteInt32BigEndian(intBytes.AsSpan(4 * i), ints[i]);
        var intPath = Path.Combine(folder, "ints-idx2-int");
        File.WriteAllBytes(intPath, Idx(0x0C, new[] { 2, 2 }, intBytes));

        double[] doubles = { 0.5, -1e-300, Math.PI };
        var doubleBytes = new byte[24];
        for (int i = 0; i < 3; i++) BinaryPrimitives.WriteDoubleBigEndian(doubleBytes.AsSpan(8 * i), doubles[i]);
        var doublePath = Path.Combine(folder, "doubles-idx1-double");
        File.WriteAllBytes(doublePath, Idx(0x0E, new[] { 3 }, doubleBytes));

        using var intTensor = IdxFile.Read(intPath);
        using var doubleTensor = IdxFile.Read(doublePath);

        Assert.Equal(ScalarType.Int32, intTensor.dtype);
        Assert.Equal(new long[] { 2, 2 }, intTensor.shape);
        Assert.Equal(ints, intTensor.data<int>().ToArray());
        Assert.Equal(ScalarType.Float64, doubleTensor.dtype);
        Assert.Equal(doubles, doubleTensor.data<double>().ToArray());
    }

    [Fact]
    public void A_truncated_file_names_the_file_and_how_much_is_missing()
    {
        var path = Path.Combine(folder, "short-idx1-ubyte");
        File.WriteAllBytes(path, Idx(0x08, new[] { 10 }, new byte[] { 1, 2, 3 }));

        var e = Assert.Throws<HypergradException>(() => IdxFile.Read(path));

        Assert.Contains(path, e.Message);
        Assert.Contains("truncated", e.Message);
        Assert.Contains("3 of the 10 bytes", e.Message);
    }

    [Fact]
    public void A_file_that_is_not_idx_is_refused_with_its_first_bytes()
    {
        var path = Path.Combine(folder, "notes.txt");
        File.WriteAllText(path, "hello world");

        var e = Assert.Throws<HypergradException>(() => IdxFile.Read(path));

        Assert.Contains("is not an IDX file", e.Message);
        Assert.Contains("0x68 0x65", e.Message); // "he"
    }

    [Fact]
    public void An_unknown_element_type_lists_the_valid_codes()
    {
        var path = Path.Combine(folder, "odd-idx1");
        File.WriteAllBytes(path, Idx(0x07, new[] { 1 }, new byte[] { 0 }));

        var e = Assert.Throws<HypergradException>(() => IdxFile.Read(path));

        Assert.Contains("0x07", e.Message);
        Assert.Contains("0x08 (ubyte)", e.Message);
    }

    [Fact]
    public void A_missing_file_is_a_hypergrad_exception_not_an_io_error()
    {
        var path = Path.Combine(folder, "absent-idx1-ubyte.gz");
        var e = Assert.Throws<HypergradException>(() => IdxFile.Read(path));
        Assert.Contains(path, e.Message);
    }
}
