using System.Collections.Generic;
using System.IO;
using System.Linq;
using ScottPlot;

namespace Hypergrad.Samples;

/// <summary>Line plots of a sample's curves (loss or accuracy against steps), saved as PNG with ScottPlot.</summary>
/// <remarks>
/// ScottPlot draws with SkiaSharp's self-contained Linux build (no native packages needed); text uses
/// the DejaVu fonts that Debian and Ubuntu install by default.
/// </remarks>
public sealed class CurvePlot
{
    readonly Plot plot = new();

    /// <summary>A plot with a title and axis labels.</summary>
    public CurvePlot(string title, string xLabel, string yLabel)
    {
        plot.Font.Set("DejaVu Sans");
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
    }

    /// <summary>Adds one curve with a legend entry.</summary>
    public CurvePlot Line(string name, IEnumerable<double> xs, IEnumerable<double> ys)
    {
        var line = plot.Add.ScatterLine(xs.ToArray(), ys.ToArray());
        line.LegendText = name;
        line.LineWidth = 2;
        return this;
    }

    /// <summary>Adds a dashed horizontal reference line (a baseline) with a legend entry.</summary>
    public CurvePlot Reference(string name, double y)
    {
        var line = plot.Add.HorizontalLine(y);
        line.LegendText = name;
        line.LinePattern = LinePattern.Dashed;
        line.LineWidth = 1.5f;
        line.Color = plot.Add.Palette.GetColor(plot.GetPlottables().Count() - 1);
        return this;
    }

    /// <summary>Writes the PNG, creating its folder if needed, and returns the path.</summary>
    /// <param name="path">The file to write.</param>
    /// <param name="legend">The corner for the legend (put it where the curves are not).</param>
    /// <param name="width">Width in pixels.</param>
    /// <param name="height">Height in pixels.</param>
    public string Save(string path, Alignment legend = Alignment.UpperRight, int width = 800, int height = 480)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        plot.ShowLegend(legend);
        plot.SavePng(path, width, height);
        return path;
    }
}
