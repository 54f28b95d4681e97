using System;
using System.Collections.Generic;
using TorchSharp;
using static TorchSharp.torch;

namespace Hypergrad.Data;

/// <summary>
/// Infinite sources of <c>(inputs, targets)</c> batches, the data sources of a bilevel run
/// (hypergrad's <c>Solver</c> draws from them forever; the run decides when to stop).
/// </summary>
/// <remarks>
/// Batch tensors are created when the enumerator advances, so they belong to the dispose scope that
/// is open at that moment (the run's per-step scope) and are freed with it. The shuffling order is
/// drawn in managed code from the seed, so a source holds no native state between batches.
/// </remarks>
public static class BatchSource
{
    /// <summary>
    /// The whole dataset as one batch, forever (full-batch gradient descent). Yields the given tensors
    /// themselves: no copies.
    /// </summary>
    public static IEnumerable<(Tensor Inputs, Tensor Targets)> FullBatch(Tensor inputs, Tensor targets)
    {
        CheckPair(inputs, targets);
        return Forever(inputs, targets);

        static IEnumerable<(Tensor, Tensor)> Forever(Tensor inputs, Tensor targets)
        {
            while (true) yield return (inputs, targets);
        }
    }

    /// <summary>
    /// Mini-batches of <paramref name="batchSize"/> rows, forever: each pass over the data visits every
    /// row once in a fresh random order; the last, smaller batch of a pass is dropped so every batch has
    /// the same shape.
    /// </summary>
    /// <param name="inputs">Tensor whose first dimension indexes the examples.</param>
    /// <param name="targets">Tensor with the same first dimension.</param>
    /// <param name="batchSize">Rows per batch, 1 to the number of examples.</param>
    /// <param name="seed">Seed of the shuffling order (same seed, same batches).</param>
    public static IEnumerable<(Tensor Inputs, Tensor Targets)> Shuffled(Tensor inputs, Tensor targets, int batchSize, int seed = 0)
    {
        long count = CheckPair(inputs, targets);
        if (batchSize < 1 || batchSize > count)
            throw new HypergradException($"Batch size {batchSize} is invalid for {count} examples; pass a batch size from 1 to {count}.");
        return Forever(inputs, targets, (int)count, batchSize, seed);

        static IEnumerable<(Tensor, Tensor)> Forever(Tensor inputs, Tensor targets, int count, int batchSize, int seed)
        {
            var random = new Random(seed);
            var order = new long[count];
            for (int i = 0; i < count; i++) order[i] = i;
            while (true)
            {
                random.Shuffle(order);
                for (int start = 0; start + batchSize <= count; start += batchSize)
                {
                    using var indices = torch.tensor(order.AsSpan(start, batchSize).ToArray(), device: inputs.device);
                    yield return (inputs.index_select(0, indices), targets.index_select(0, indices));
                }
            }
        }
    }

    /// <summary>
    /// The dataset cut once into consecutive batches of <paramref name="batchSize"/> rows (a last, smaller batch is
    /// dropped), declared finite: each epoch visits every batch once in an order drawn from <paramref name="seed"/>.
    /// For methods with per-batch memory (<c>Method.Saba</c>); the batches are views of the given tensors.
    /// </summary>
    /// <param name="inputs">Tensor whose first dimension indexes the examples.</param>
    /// <param name="targets">Tensor with the same first dimension.</param>
    /// <param name="batchSize">Rows per batch, 1 to the number of examples.</param>
    /// <param name="seed">Seed of the visiting order.</param>
    public static FiniteBatches<(Tensor Inputs, Tensor Targets)> Partitioned(Tensor inputs, Tensor targets, int batchSize, int seed = 0)
    {
        long count = CheckPair(inputs, targets);
        if (batchSize < 1 || batchSize > count)
            throw new HypergradException($"Batch size {batchSize} is invalid for {count} examples; pass a batch size from 1 to {count}.");
        var batches = new List<(Tensor, Tensor)>();
        for (long start = 0; start + batchSize <= count; start += batchSize)
            batches.Add((inputs.narrow(0, start, batchSize).DetachFromDisposeScope(), targets.narrow(0, start, batchSize).DetachFromDisposeScope()));
        return new FiniteBatches<(Tensor Inputs, Tensor Targets)>(batches, seed);
    }

    static long CheckPair(Tensor inputs, Tensor targets)
    {
        if (inputs is null || inputs.IsInvalid) throw new HypergradException("The inputs tensor of the batch source is null or disposed; keep the dataset alive while it is read.");
        if (targets is null || targets.IsInvalid) throw new HypergradException("The targets tensor of the batch source is null or disposed; keep the dataset alive while it is read.");
        if (inputs.dim() == 0 || targets.dim() == 0)
            throw new HypergradException("Inputs and targets need a first dimension that indexes the examples; got a scalar.");
        if (inputs.shape[0] != targets.shape[0])
            throw new HypergradException($"Inputs have {inputs.shape[0]} examples but targets have {targets.shape[0]}; pass one target per example.");
        if (inputs.shape[0] == 0)
            throw new HypergradException("The dataset is empty: inputs have no examples.");
        return inputs.shape[0];
    }
}
