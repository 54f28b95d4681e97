using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;

namespace Hypergrad.Solving;

/// <summary>
/// Accumulates the certificates of a run's outer steps (converged flags, residuals, warnings) into the summary that
/// <see cref="BilevelRunResult"/> reports. Checkpointed with the run, so a resumed run reports the whole run.
/// </summary>
internal sealed class RunSummary
{
    private static readonly Regex Number = new(@"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?", RegexOptions.Compiled);
    private readonly List<RunWarning> warnings = new();

    public int NotConverged { get; private set; }
    public double WorstResidual { get; private set; } = double.NaN;
    public long Products { get; private set; }

    /// <summary>Adds outer step <paramref name="outerStep"/>'s certificate.</summary>
    public void Add(int outerStep, HypergradientResult result)
    {
        if (!result.Converged) NotConverged++;
        Products += result.HessianVectorProducts;
        if (!double.IsNaN(result.RelativeResidual) && !(result.RelativeResidual <= WorstResidual))
            WorstResidual = result.RelativeResidual;
        foreach (var message in result.Warnings.Distinct())
        {
            string kind = KindOf(message);
            int i = warnings.FindIndex(w => w.Kind == kind);
            if (i < 0) warnings.Add(new RunWarning(kind, 1, outerStep, message));
            else warnings[i] = warnings[i] with { Count = warnings[i].Count + 1 };
        }
    }

    /// <summary>The warning with its numbers replaced by '#': warnings that differ only in values are one kind.</summary>
    public static string KindOf(string message) => Number.Replace(message, "#");

    public BilevelRunResult Complete(BilevelRunResult result) => result with
    {
        OuterStepsNotConverged = NotConverged,
        WorstRelativeResidual = WorstResidual,
        HessianVectorProducts = Products,
        Warnings = warnings.ToArray(),
    };

    public void Write(BinaryWriter writer)
    {
        writer.Write(NotConverged);
        writer.Write(WorstResidual);
        writer.Write(Products);
        writer.Write(warnings.Count);
        foreach (var w in warnings)
        {
            writer.Write(w.Kind);
            writer.Write(w.Count);
            writer.Write(w.FirstOuterStep);
            writer.Write(w.FirstMessage);
        }
    }

    public void Read(BinaryReader reader)
    {
        NotConverged = reader.ReadInt32();
        WorstResidual = reader.ReadDouble();
        Products = reader.ReadInt64();
        warnings.Clear();
        int count = reader.ReadInt32();
        for (int i = 0; i < count; i++)
            warnings.Add(new RunWarning(reader.ReadString(), reader.ReadInt32(), reader.ReadInt32(), reader.ReadString()));
    }
}
