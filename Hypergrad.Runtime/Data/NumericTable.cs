using System;
using System.Collections.Generic;
using System.Linq;
using static TorchSharp.torch;

namespace Hypergrad.Data;

/// <summary>A table of numbers with named columns, as read by <see cref="CsvFile"/>.</summary>
/// <param name="ColumnNames">One name per column (from the header, or "c0", "c1", … when the file has none).</param>
/// <param name="Values">Tensor [rows, columns].</param>
public sealed record NumericTable(IReadOnlyList<string> ColumnNames, Tensor Values)
{
    /// <summary>Number of rows.</summary>
    public long RowCount => Values.shape[0];

    /// <summary>
    /// Splits off one column as the target: features [rows, columns − 1] (the other columns in order)
    /// and target [rows].
    /// </summary>
    /// <exception cref="HypergradException">No column has that name.</exception>
    public (Tensor Features, Tensor Target) SplitTarget(string targetColumn)
    {
        int index = ColumnNames.ToList().IndexOf(targetColumn);
        if (index < 0)
            throw new HypergradException(
                $"The table has no column '{targetColumn}'; its columns are {string.Join(", ", ColumnNames.Select(c => $"'{c}'"))}.");
        var others = Enumerable.Range(0, ColumnNames.Count).Where(i => i != index).Select(i => (long)i).ToArray();
        if (others.Length == 0)
            throw new HypergradException($"The table has only the column '{targetColumn}'; there are no feature columns left.");
        using var otherIndices = tensor(others);
        return (Values.index_select(1, otherIndices), Values.select(1, index).contiguous());
    }
}
