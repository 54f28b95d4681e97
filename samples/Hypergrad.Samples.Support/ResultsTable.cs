using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;

namespace Hypergrad.Samples;

/// <summary>A small results table, printed to the console and saved as Markdown (ready for README).</summary>
public sealed class ResultsTable
{
    readonly string[] columns;
    readonly List<string[]> rows = new();

    /// <summary>A table with these column headers.</summary>
    public ResultsTable(params string[] columns) => this.columns = columns;

    /// <summary>The rows added so far.</summary>
    public IReadOnlyList<IReadOnlyList<string>> Rows => rows;

    /// <summary>Adds a row with one cell per column.</summary>
    public ResultsTable Add(params string[] cells)
    {
        if (cells.Length != columns.Length)
            throw new ArgumentException($"The table has {columns.Length} columns but the row has {cells.Length} cells.", nameof(cells));
        rows.Add(cells);
        return this;
    }

    /// <summary>The table in Markdown, columns padded so that it also reads well as plain text.</summary>
    public string ToMarkdown()
    {
        var widths = columns.Select((c, i) => rows.Select(r => r[i].Length).Append(c.Length).Max()).ToArray();
        var text = new StringBuilder();
        void Row(IEnumerable<string> cells) =>
            text.Append("| ").Append(string.Join(" | ", cells.Select((c, i) => c.PadRight(widths[i])))).Append(" |\n");
        Row(columns);
        Row(widths.Select(w => new string('-', w)));
        foreach (var row in rows) Row(row);
        return text.ToString();
    }

    /// <summary>Writes the table to the console and to <paramref name="path"/>; returns the path.</summary>
    public string PrintAndSave(string path)
    {
        var markdown = ToMarkdown();
        Console.WriteLine();
        Console.Write(markdown);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllText(path, markdown);
        return path;
    }
}
