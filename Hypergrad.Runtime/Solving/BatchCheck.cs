using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using static TorchSharp.torch;

namespace Hypergrad.Solving;

/// <summary>
/// Refuses a batch that holds a null, disposed or empty tensor before any computation uses it: such a batch
/// otherwise surfaces as "Tensor invalid -- empty handle", a NullReferenceException, NaN losses or a libtorch abort,
/// none of which says which batch or element is at fault.
/// </summary>
/// <remarks>
/// A batch is a tensor, a tuple of tensors (the generated code's batch type), or an array/list of tensors; other
/// elements (numbers, strings, the user's own types) are passed through unchecked.
/// </remarks>
internal static class BatchCheck
{
    /// <summary>Throws naming <paramref name="batchName"/> (e.g. "training batch 3") and the element at fault.</summary>
    public static void ThrowIfUnusable(object? batch, string batchName)
    {
        if (batch is null)
            throw new HypergradException($"{Capitalize(batchName)} is null; pass the batch's tensors.");
        int index = 0;
        foreach (var element in Elements(batch))
        {
            index++;
            string which = Capitalize(batch is Tensor ? batchName : $"element {index} of {batchName}");
            switch (element)
            {
                case null:
                    throw new HypergradException($"{which} is null; every batch element must be a live tensor.");
                case Tensor { IsInvalid: true }:
                    throw new HypergradException(
                        $"{which} is a disposed tensor (a using or Dispose() on it, or a dispose scope that ended, before the batch was used). " +
                        "Keep batch tensors alive until the step that consumes them has returned.");
                case Tensor tensor when tensor.numel() == 0:
                    throw new HypergradException(
                        $"{which} is empty (shape [{string.Join(", ", tensor.shape)}]): an objective on no samples is not a number. " +
                        "Drop empty batches (e.g. a last partial batch of size 0) from the data source.");
            }
        }
    }

    /// <summary>"Float32 [8, 3], Int64 [8]": the batch's tensors' dtypes and shapes, for error messages.</summary>
    public static string Describe(object? batch)
    {
        if (batch is null) return "null";
        var parts = Elements(batch).Select(element => element switch
        {
            null => "null",
            Tensor { IsInvalid: true } => "disposed tensor",
            Tensor t => $"{t.dtype} [{string.Join(", ", t.shape)}]",
            _ => element.GetType().Name,
        }).ToArray();
        return parts.Length == 0 ? "no tensors" : "(" + string.Join(", ", parts) + ")";
    }

    private static string Capitalize(string text) => text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..];

    private static IEnumerable<object?> Elements(object batch)
    {
        switch (batch)
        {
            case Tensor tensor:
                yield return tensor;
                break;
            case ITuple tuple:
                for (int i = 0; i < tuple.Length; i++) yield return tuple[i];
                break;
            case IReadOnlyList<Tensor> tensors:
                foreach (var t in tensors) yield return t;
                break;
        }
    }
}
