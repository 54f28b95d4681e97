using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace Hypergrad.Data;

/// <summary>Reads numeric comma-separated files into tensors.</summary>
/// <remarks>
/// Every cell must be a number in invariant-culture notation ("0.5", "-1e-3"). The first line is taken as
/// a header when any of its cells is not a number. Cells may be wrapped in double quotes; blank lines are
/// skipped. Missing values and text categories are refused with the line and column, so nothing is
/// silently turned into NaN.
/// </remarks>
public static class CsvFile
{
    /// <summary>Reads the whole file into a <see cref="NumericTable"/>.</summary>
    /// <param name="path">The file.</param>
    /// <param name="separator">The cell separator (',' by default; ';' or '\t' for other dialects).</param>
    /// <param name="dtype">Element type of the tensor (float32 by default).</param>
    /// <exception cref="HypergradException">The file is missing or empty, a row has the wrong number of cells, or a cell is not a number.</exception>
    public static NumericTable Read(string path, char separator = ',', ScalarType dtype = ScalarType.Float32)
    {
        if (!File.Exists(path))
            throw new HypergradException($"CSV file '{path}' does not exist. Check the path (relative paths are resolved from '{Directory.GetCurrentDirectory()}').");

        var rows = File.ReadLines(path)
            .Select((text, index) => (text, line: index + 1))
            .Where(row => !string.IsNullOrWhiteSpace(row.text))
            .Select(row => (cells: Split(row.text, separator), row.line))
            .ToList();
        if (rows.Count == 0)
            throw new HypergradException($"CSV file '{path}' is empty.");

        bool hasHeader = rows[0].cells.Any(cell => !TryParse(cell, out _));
        var names = hasHeader ? rows[0].cells : Enumerable.Range(0, rows[0].cells.Length).Select(i => $"c{i}").ToArray();
        var body = hasHeader ? rows.Skip(1).ToList() : rows;
        if (body.Count == 0)
            throw new HypergradException($"CSV file '{path}' has a header but no data rows.");

        int columns = names.Length;
        var values = new double[body.Count * columns];
        for (int r = 0; r < body.Count; r++)
        {
            var (cells, line) = body[r];
            if (cells.Length != columns)
                throw new HypergradException(
                    $"CSV file '{path}', line {line}: {cells.Length} cells but {(hasHeader ? "the header has" : "the first row has")} {columns}. " +
                    $"Every row needs one value per column (is the separator '{separator}' right?).");
            for (int c = 0; c < columns; c++)
            {
                if (!TryParse(cells[c], out values[r * columns + c]))
                    throw new HypergradException(
                        $"CSV file '{path}', line {line}, column '{names[c]}': '{cells[c]}' is not a number. " +
                        "Fill or drop missing values and encode categories as numbers before reading.");
            }
        }

        using var table = torch.tensor(values, new long[] { body.Count, columns });
        return new NumericTable(names, table.to_type(dtype));
    }

    static string[] Split(string line, char separator) =>
        line.Split(separator).Select(cell => cell.Trim().Trim('"').Trim()).ToArray();

    static bool TryParse(string cell, out double value) =>
        double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && !double.IsNaN(value);
}
