using System;
using System.Buffers.Binary;
using System.IO;
using System.IO.Compression;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Hypergrad.Samples.Data;

/// <summary>
/// Reads IDX files, the format of MNIST, Fashion-MNIST, KMNIST and EMNIST: a 4-byte magic number
/// (two zero bytes, an element-type code, the number of dimensions), the dimensions as big-endian
/// 32-bit integers, then the elements in row-major order, multi-byte elements big-endian.
/// </summary>
/// <remarks>Gzip-compressed files (as distributed) are recognised by their first two bytes and read directly.</remarks>
public static class IdxFile
{
    /// <summary>
    /// Reads a whole IDX file (optionally gzip-compressed) into a tensor of the file's shape. Element
    /// types map to <c>uint8</c>, <c>int8</c>, <c>int16</c>, <c>int32</c>, <c>float32</c> and <c>float64</c>.
    /// </summary>
    /// <exception cref="HypergradException">The file is missing, is not an IDX file, or is truncated.</exception>
    public static Tensor Read(string path)
    {
        if (!File.Exists(path))
            throw new HypergradException($"IDX file '{path}' does not exist. Check the path (the MNIST family ships as *-idx3-ubyte.gz and *-idx1-ubyte.gz files).");
        using var file = File.OpenRead(path);
        using var stream = IsGzip(file) ? new GZipStream(file, CompressionMode.Decompress) : (Stream)file;
        try
        {
            return Read(stream, path);
        }
        catch (InvalidDataException e)
        {
            throw new HypergradException($"IDX file '{path}' is not valid gzip data ({e.Message}). Download it again or decompress it by hand.", e);
        }
    }

    static bool IsGzip(FileStream file)
    {
        Span<byte> head = stackalloc byte[2];
        int read = file.Read(head);
        file.Position = 0;
        return read == 2 && head[0] == 0x1f && head[1] == 0x8b;
    }

    static Tensor Read(Stream stream, string path)
    {
        var magic = ReadExactly(stream, 4, path, "the magic number");
        if (magic[0] != 0 || magic[1] != 0)
            throw new HypergradException($"'{path}' is not an IDX file: it must start with two zero bytes but starts with 0x{magic[0]:x2} 0x{magic[1]:x2}.");
        var (dtype, elementSize) = ElementType(magic[2], path);
        int rank = magic[3];
        if (rank == 0)
            throw new HypergradException($"IDX file '{path}' declares zero dimensions; it is damaged.");

        var header = ReadExactly(stream, 4 * rank, path, "the dimensions");
        var shape = new long[rank];
        long count = 1;
        for (int i = 0; i < rank; i++)
        {
            shape[i] = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(4 * i));
            if (shape[i] < 0)
                throw new HypergradException($"IDX file '{path}' declares a negative size {shape[i]} for dimension {i}; it is damaged.");
            count *= shape[i];
        }
        if (count * elementSize > Array.MaxLength)
            throw new HypergradException($"IDX file '{path}' declares {count} elements, too many to read at once.");

        var data = ReadExactly(stream, (int)(count * elementSize), path, $"{count} elements of shape [{string.Join(", ", shape)}]");
        if (elementSize > 1 && BitConverter.IsLittleEndian)
            ReverseEachElement(data, elementSize);

        return ToTensor(data, dtype).reshape(shape);
    }

    static Tensor ToTensor(byte[] data, ScalarType dtype) => dtype switch
    {
        ScalarType.Byte => torch.tensor(data),
        ScalarType.Int8 => torch.tensor(MemoryMarshal.Cast<byte, sbyte>(data).ToArray()),
        ScalarType.Int16 => torch.tensor(MemoryMarshal.Cast<byte, short>(data).ToArray()),
        ScalarType.Int32 => torch.tensor(MemoryMarshal.Cast<byte, int>(data).ToArray()),
        ScalarType.Float32 => torch.tensor(MemoryMarshal.Cast<byte, float>(data).ToArray()),
        _ => torch.tensor(MemoryMarshal.Cast<byte, double>(data).ToArray()),
    };

    static (ScalarType dtype, int size) ElementType(byte code, string path) => code switch
    {
        0x08 => (ScalarType.Byte, 1),
        0x09 => (ScalarType.Int8, 1),
        0x0B => (ScalarType.Int16, 2),
        0x0C => (ScalarType.Int32, 4),
        0x0D => (ScalarType.Float32, 4),
        0x0E => (ScalarType.Float64, 8),
        _ => throw new HypergradException(
            $"IDX file '{path}' has element type code 0x{code:x2}; IDX defines 0x08 (ubyte), 0x09 (byte), 0x0B (short), 0x0C (int), 0x0D (float) and 0x0E (double)."),
    };

    static byte[] ReadExactly(Stream stream, int length, string path, string what)
    {
        var buffer = new byte[length];
        int total = 0;
        while (total < length)
        {
            int read = stream.Read(buffer, total, length - total);
            if (read == 0)
                throw new HypergradException($"IDX file '{path}' is truncated: it ends after {total} of the {length} bytes of {what}. Download it again.");
            total += read;
        }
        return buffer;
    }

    static void ReverseEachElement(byte[] data, int elementSize)
    {
        for (int i = 0; i < data.Length; i += elementSize)
            Array.Reverse(data, i, elementSize);
    }
}
