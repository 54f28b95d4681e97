using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Hypergrad.Solving;

/// <summary>
/// Refuses a batch that holds NaN or ±Inf before any objective or solver sees it, naming the data source (training
/// or validation), the batch and its first bad element: otherwise a NaN label surfaces much later as a solver or
/// optimizer "divergence" and is blamed on a step size. A batch is a tensor or a tuple of them (other elements are
/// not data and are skipped). Each tensor object is checked once (sources that cycle over the same tensors cost
/// one check per tensor); the check is one sum, and the element-wise search runs only when it is not finite.
/// </summary>
internal sealed class DataCheck
{
    private readonly string problem;
    private readonly string source;
    private readonly ConditionalWeakTable<Tensor, object> checkedTensors = new();

    /// <param name="problem">The problem, for the message.</param>
    /// <param name="source">"training" or "validation".</param>
    public DataCheck(string problem, string source)
    {
        this.problem = problem;
        this.source = source;
    }

    /// <summary>Throws a <see cref="HypergradException"/> when <paramref name="batch"/> holds NaN or ±Inf.</summary>
    /// <param name="batch">The batch.</param>
    /// <param name="index">Its position in the source (0-based, counting across restarts).</param>
    public T Check<T>(T batch, long index)
    {
        var tensors = TensorsOf(batch).ToList();
        for (int i = 0; i < tensors.Count; i++)
        {
            var tensor = tensors[i];
            if (tensor is null || tensor.IsInvalid || checkedTensors.TryGetValue(tensor, out _)) continue;
            if (!tensor.is_floating_point() && !tensor.is_complex())
            {
                checkedTensors.AddOrUpdate(tensor, this);
                continue;
            }
            using (var scope = NewDisposeScope())
            using (no_grad())
            {
                if (!double.IsFinite(tensor.sum().abs().ToDouble()))
                {
                    var bad = (~tensor.isfinite()).nonzero();
                    if (bad.shape[0] > 0)
                    {
                        var at = bad[0].data<long>().ToArray();
                        var value = tensor.detach().cpu().to_type(ScalarType.Float64)[at.Select(a => TensorIndex.Single(a)).ToArray()].ToDouble();
                        string which = tensors.Count > 1 ? $"its tensor {i + 1} of {tensors.Count} (Item{i + 1}) " : "its tensor ";
                        throw new HypergradException(
                            $"{problem}: {source} batch {index} (counting from 0 across restarts of the source) holds {value.ToString(System.Globalization.CultureInfo.InvariantCulture)} in {which}" +
                            $"[{string.Join(", ", tensor.shape)}] {tensor.dtype} at element [{string.Join(", ", at)}] " +
                            $"({bad.shape[0]} non-finite element{(bad.shape[0] == 1 ? "" : "s")} in all). " +
                            $"Clean the {source} data (drop or impute NaN and infinite values) before running.");
                    }
                }
            }
            checkedTensors.AddOrUpdate(tensor, this);
        }
        return batch;
    }

    private static IEnumerable<Tensor?> TensorsOf(object? batch)
    {
        switch (batch)
        {
            case Tensor tensor:
                yield return tensor;
                break;
            case ITuple tuple:
                for (int i = 0; i < tuple.Length; i++)
                    if (tuple[i] is Tensor element) yield return element;
                    else if (tuple[i] is ITuple nested) foreach (var t in TensorsOf(nested)) yield return t;
                break;
        }
    }
}
