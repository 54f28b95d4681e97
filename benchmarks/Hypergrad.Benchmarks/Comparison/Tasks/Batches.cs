using System;
using System.Collections.Generic;
using System.Linq;
using Hypergrad.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Hypergrad.Benchmarks.Comparison;

/// <summary>
/// Batch sources that also carry the rows' indices, for objectives with one outer variable per training sample
/// (hyper-cleaning's sample weights). Like <c>BatchSource</c>, batches are created when the enumerator advances, so
/// they belong to the run's per-step dispose scope.
/// </summary>
public static class IndexedBatches
{
    /// <summary>
    /// All rows, with indices 0 … n−1, forever. The index tensor is made now, in the caller's dispose scope, not in
    /// the scope of the step that first draws it.
    /// </summary>
    public static IEnumerable<(Tensor Inputs, Tensor Targets, Tensor Indices)> FullBatch(Tensor inputs, Tensor targets)
    {
        return Forever(inputs, targets, arange(inputs.shape[0], dtype: ScalarType.Int64));

        static IEnumerable<(Tensor, Tensor, Tensor)> Forever(Tensor inputs, Tensor targets, Tensor indices)
        {
            while (true) yield return (inputs, targets, indices);
        }
    }

    /// <summary>
    /// Mini-batches of <paramref name="batchSize"/> rows, forever: each pass visits every row once in a fresh order drawn
    /// from <paramref name="seed"/>; a last smaller batch is dropped.
    /// </summary>
    public static IEnumerable<(Tensor Inputs, Tensor Targets, Tensor Indices)> Shuffled(Tensor inputs, Tensor targets, int batchSize, int seed)
    {
        int count = (int)inputs.shape[0];
        if (batchSize < 1 || batchSize > count) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, $"A batch has 1 to {count} rows.");
        var random = new Random(seed);
        var order = Enumerable.Range(0, count).Select(i => (long)i).ToArray();
        while (true)
        {
            random.Shuffle(order);
            for (int start = 0; start + batchSize <= count; start += batchSize)
            {
                var indices = tensor(order.AsSpan(start, batchSize).ToArray());
                yield return (inputs.index_select(0, indices), targets.index_select(0, indices), indices);
            }
        }
    }

    /// <summary>
    /// The rows cut once into consecutive batches of <paramref name="batchSize"/> (a last smaller one dropped), declared
    /// finite for SABA's per-batch memory: each pass visits every batch once, in an order drawn from <paramref name="seed"/>.
    /// The batches are made now, in the caller's dispose scope.
    /// </summary>
    public static FiniteBatches<(Tensor Inputs, Tensor Targets, Tensor Indices)> Partitioned(Tensor inputs, Tensor targets, int batchSize, int seed)
    {
        long count = inputs.shape[0];
        if (batchSize < 1 || batchSize > count) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, $"A batch has 1 to {count} rows.");
        var batches = new List<(Tensor, Tensor, Tensor)>();
        for (long start = 0; start + batchSize <= count; start += batchSize)
            batches.Add((inputs.narrow(0, start, batchSize), targets.narrow(0, start, batchSize), arange(start, start + batchSize, dtype: ScalarType.Int64)));
        return new FiniteBatches<(Tensor Inputs, Tensor Targets, Tensor Indices)>(batches, seed);
    }
}
