using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using static TorchSharp.torch;

namespace Hypergrad.Data;

/// <summary>
/// A finite dataset declared as a fixed list of batches, visited forever: every pass (epoch) visits each batch once, in
/// an order drawn from the seed. Pass it to <c>Run</c> like any other data source. Methods that keep one memory slot per
/// batch (<c>Method.Saba</c>'s variance reduction) need it: they read which batch of the list each drawn batch is.
/// </summary>
/// <remarks>
/// The order is a pure function of the seed and the position in the sequence (<see cref="IndexAt"/>), so a run resumed
/// from a checkpoint sees the same batches in the same order. The batches themselves are yielded as given (no copies):
/// keep their tensors alive while the run reads them.
/// </remarks>
/// <typeparam name="TBatch">The batch type, e.g. <c>(Tensor Inputs, Tensor Targets)</c>.</typeparam>
public sealed class FiniteBatches<TBatch> : IEnumerable<TBatch>
{
    private readonly TBatch[] batches;
    private readonly int seed;
    private long cachedEpoch = -1;
    private int[] cachedOrder = Array.Empty<int>();

    /// <summary>Declares <paramref name="batches"/> (at least one) as the whole dataset, visited in an order drawn from <paramref name="seed"/>.</summary>
    /// <param name="batches">Every batch of the dataset; equal sizes keep each batch's weight 1/<see cref="Count"/> exact.</param>
    /// <param name="seed">Seed of the visiting order (same seed, same order).</param>
    public FiniteBatches(IReadOnlyList<TBatch> batches, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(batches);
        if (batches.Count == 0)
            throw new HypergradException("FiniteBatches needs at least one batch; pass the dataset's batches (e.g. BatchSource.Partitioned(inputs, targets, batchSize)).");
        this.batches = batches.ToArray();
        this.seed = seed;
    }

    /// <summary>Number of batches in the dataset.</summary>
    public int Count => batches.Length;

    /// <summary>The batch at <paramref name="index"/> of the list.</summary>
    public TBatch this[int index] => batches[index];

    /// <summary>Which batch of the list the sequence yields at <paramref name="position"/> (0 is the first batch drawn).</summary>
    public int IndexAt(long position)
    {
        if (position < 0) throw new ArgumentOutOfRangeException(nameof(position), position, "Positions count from 0.");
        long epoch = position / batches.Length;
        if (epoch != cachedEpoch)
        {
            cachedOrder = Order(epoch);
            cachedEpoch = epoch;
        }
        return cachedOrder[position % batches.Length];
    }

    /// <summary>The batches forever, epoch after epoch, each epoch in its own order.</summary>
    public IEnumerator<TBatch> GetEnumerator()
    {
        for (long position = 0; ; position++) yield return batches[IndexAt(position)];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    // Fisher–Yates with SplitMix64 seeded by (seed, epoch): the order depends on nothing but these two numbers, not on
    // the platform's System.Random, so checkpoints stay valid across runtimes.
    private int[] Order(long epoch)
    {
        var order = Enumerable.Range(0, batches.Length).ToArray();
        ulong state = unchecked((ulong)seed * 0x9E3779B97F4A7C15UL + (ulong)epoch * 0xD1B54A32D192ED03UL + 1);
        for (int i = order.Length - 1; i > 0; i--)
        {
            int j = (int)(Next(ref state) % (ulong)(i + 1));
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }

    private static ulong Next(ref ulong state)
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
