using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;

namespace Hypergrad.Benchmarks.Comparison;

/// <summary>
/// The step sizes the grid search chose for one method on one task, and what it saw: the final value function F(w*(λ)) on
/// the tuning seed at the chosen point, and how many grid points diverged. <see cref="Steps"/> is null when every
/// point diverged.
/// </summary>
public sealed record TunedSteps(string Task, string Method, StepSizes? Steps, double TuningValidationLoss, int DivergedPoints, int GridPoints);

/// <summary>
/// The tuned step sizes as CSV (committed next to the comparison's code, rewritten by <c>compare --tune</c>):
/// <c>task,method,inner_step,outer_step,tuning_validation_loss,diverged_points,grid_points</c>; a method that
/// diverged at every grid point has empty step columns.
/// </summary>
public static class TunedStepsFile
{
    const string Header = "task,method,inner_step,outer_step,tuning_validation_loss,diverged_points,grid_points";

    /// <summary>The entries of <paramref name="path"/>; none when it does not exist.</summary>
    public static List<TunedSteps> Read(string path)
    {
        if (!File.Exists(path)) return [];
        var lines = File.ReadAllLines(path).Where(l => l.Length > 0).ToArray();
        if (lines.Length == 0 || lines[0] != Header)
            throw new InvalidDataException($"'{path}' does not start with the header '{Header}'; delete it and run 'compare --tune'.");
        return lines.Skip(1).Select((line, i) => Parse(line, path, i + 2)).ToList();
    }

    /// <summary>Writes <paramref name="entries"/> (sorted by task, then method) to <paramref name="path"/>.</summary>
    public static void Write(string path, IEnumerable<TunedSteps> entries)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        if (entries.FirstOrDefault(e => e.Task.Contains(',') || e.Method.Contains(',')) is { } bad)
            throw new ArgumentException($"The task or method name of '{bad.Task}: {bad.Method}' contains a comma, which the CSV cannot hold; rename it.");
        var lines = entries.OrderBy(e => e.Task, StringComparer.Ordinal).ThenBy(e => e.Method, StringComparer.Ordinal).Select(e => string.Join(",",
            e.Task, e.Method, Number(e.Steps?.Inner), Number(e.Steps?.Outer), Number(e.TuningValidationLoss), e.DivergedPoints, e.GridPoints));
        File.WriteAllLines(path, lines.Prepend(Header));
    }

    static TunedSteps Parse(string line, string path, int lineNumber)
    {
        var cells = line.Split(',');
        if (cells.Length != 7) throw new InvalidDataException($"'{path}' line {lineNumber}: expected 7 cells ({Header}), got {cells.Length}.");
        double? inner = Optional(cells[2]), outer = Optional(cells[3]);
        var steps = inner is { } i && outer is { } o ? new StepSizes(i, o) : null;
        return new TunedSteps(cells[0], cells[1], steps, Optional(cells[4]) ?? double.NaN,
            int.Parse(cells[5], CultureInfo.InvariantCulture), int.Parse(cells[6], CultureInfo.InvariantCulture));
    }

    static double? Optional(string cell) => cell.Length == 0 ? null : double.Parse(cell, NumberStyles.Float, CultureInfo.InvariantCulture);

    static string Number(double? value) => value is { } v && double.IsFinite(v) ? v.ToString("R", CultureInfo.InvariantCulture) : "";
}
