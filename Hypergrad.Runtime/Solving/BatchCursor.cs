using System;
using System.Collections.Generic;

namespace Hypergrad.Solving;

/// <summary>
/// Reads batches from a data source as from hypergrad's infinite loaders: restarts the sequence when it ends,
/// and counts what it consumed so that a resumed run can skip to the same position.
/// </summary>
internal sealed class BatchCursor<T> : IDisposable
{
    private readonly IEnumerable<T> source;
    private readonly string name;
    private IEnumerator<T> enumerator;
    private bool yieldedThisPass;

    public BatchCursor(IEnumerable<T> source, string name)
    {
        this.source = source ?? throw new ArgumentNullException(name);
        this.name = name;
        enumerator = source.GetEnumerator();
    }

    /// <summary>Batches consumed since the start of the run (including before a resume).</summary>
    public long Consumed { get; private set; }

    /// <summary>
    /// The next batch, restarting the source when it is exhausted; a null, disposed or empty tensor in it is refused
    /// by name ("training batch 3, element 2") before anything computes with it.
    /// </summary>
    public T Next()
    {
        var batch = Advance();
        BatchCheck.ThrowIfUnusable(batch, $"the {name} batch {Consumed - 1} (counting from 0 since the start of the run)");
        return batch;
    }

    private T Advance()
    {
        while (!enumerator.MoveNext())
        {
            if (!yieldedThisPass)
                throw new HypergradException($"The {name} data source yields no batches; pass a sequence with at least one batch.");
            enumerator.Dispose();
            enumerator = source.GetEnumerator();
            yieldedThisPass = false;
        }
        yieldedThisPass = true;
        Consumed++;
        return enumerator.Current;
    }

    /// <summary>Skips <paramref name="count"/> batches (resuming a run: the source must yield the same sequence again).</summary>
    public void Skip(long count)
    {
        for (long i = 0; i < count; i++) Advance();
    }

    public void Dispose() => enumerator.Dispose();
}

/// <summary>Data sources for objectives that take no batch.</summary>
public static class Batches
{
    /// <summary>An endless source of empty batches, for objectives without parameters (they close over their data).</summary>
    public static IEnumerable<ValueTuple> None
    {
        get
        {
            while (true) yield return default;
        }
    }
}
