using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using ScottPlot;

namespace Hypergrad.Benchmarks.Comparison;

/// <summary>
/// One PNG per task, four panels: the value function F(w*(λ)) (validation loss at the inner problem re-solved at λ; top) and test accuracy (bottom) against CPU time (left) and
/// against evaluations (right), with the target dotted. Each method is its median over seeds with its 20–80 % quantile band, as benchopt
/// draws them (solid: inner-loop methods, dashed: single-loop, dotted: Hessian-free); a curve stops where fewer than half of the seeds still have a value, and a diverged run counts as
/// +∞ after its divergence (the band then leaves the panel).
/// </summary>
public static class ComparisonPlot
{
    const int Resolution = 200;

    /// <summary>Draws the runs (grouped by method, in table order) and writes the PNG to <paramref name="path"/>.</summary>
    public static string Save(string path, string title, IReadOnlyList<(string Method, MethodFamily Family, IReadOnlyList<RunCurve> Runs)> methods, ComparisonTarget target)
    {
        var palette = new ScottPlot.Palettes.Category20();
        var multiplot = new Multiplot();
        multiplot.AddPlots(4);
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Grid(2, 2);
        var panels = new (CurveAxis Axis, bool Loss, string XLabel, string YLabel)[]
        {
            (CurveAxis.Seconds, true, $"{CpuClock.Measures} (s, one thread)", "F(w*(λ)), validation"),
            (CurveAxis.Evaluations, true, "gradient + HVP evaluations (passes over the data)", "F(w*(λ)), validation"),
            (CurveAxis.Seconds, false, $"{CpuClock.Measures} (s, one thread)", "test accuracy of w*(λ)"),
            (CurveAxis.Evaluations, false, "gradient + HVP evaluations (passes over the data)", "test accuracy of w*(λ)"),
        };
        // The loss panels show the last third of the decrease, where the methods differ (the first drop is the inner
        // model leaving zero, the same for all); the accuracy panels the top 8 points.
        double lossTop = target.Best + 0.3 * (target.Start - target.Best);
        double lossBottom = target.Best - 0.05 * (target.Start - target.Best);
        double accuracyTop = methods.SelectMany(m => m.Runs).SelectMany(r => r.Points).Select(p => 100 * p.TestAccuracy).DefaultIfEmpty(100).Max() + 1;
        for (int p = 0; p < panels.Length; p++)
        {
            var (axis, loss, xLabel, yLabel) = panels[p];
            var plot = multiplot.GetPlot(p);
            plot.Font.Set("DejaVu Sans");
            plot.XLabel(xLabel);
            plot.YLabel(yLabel);
            if (p == 0) plot.Title(title, size: 13);
            Func<CurvePoint, double> value = loss ? point => point.ValidationLoss : point => 100 * point.TestAccuracy;
            if (loss)
            {
                var line = plot.Add.HorizontalLine(target.Value);
                line.LinePattern = LinePattern.Dotted;
                line.Color = Colors.Gray;
                if (p == 0) line.LegendText = $"target {target.Value:F4}";
            }
            for (int m = 0; m < methods.Count; m++)
            {
                var (name, family, runs) = methods[m];
                if (runs.Count == 0) continue;
                double end = runs.Max(r => axis.Of(r.Final));
                if (!(end > 0)) continue;
                var grid = Enumerable.Range(0, Resolution + 1).Select(i => end * i / Resolution);
                var band = CurveStatistics.Band(runs, axis, value, grid).Where(b => double.IsFinite(b.Median)).ToArray();
                if (band.Length < 2) continue;
                // 20 colours: the dark ones first, then the light ones; the line pattern tells the family apart.
                var color = palette.GetColor(m < 10 ? 2 * m : 2 * (m - 10) + 1);
                double cap = loss ? lossTop : accuracyTop;
                var xs = band.Select(b => b.X).ToArray();
                var fill = plot.Add.FillY(xs, band.Select(b => Math.Min(b.Low, cap)).ToArray(), band.Select(b => Math.Min(b.High, cap)).ToArray());
                fill.FillColor = color.WithAlpha(0.2);
                fill.LineColor = Colors.Transparent;
                var median = plot.Add.ScatterLine(xs, band.Select(b => b.Median).ToArray());
                median.Color = color;
                median.LineWidth = 2;
                median.LinePattern = family switch
                {
                    MethodFamily.SingleLoop => LinePattern.Dashed,
                    MethodFamily.HessianFree => LinePattern.Dotted,
                    _ => LinePattern.Solid,
                };
                if (p == 0) median.LegendText = runs.Any(r => r.Diverged) ? $"{name} ({runs.Count(r => r.Diverged)} diverged)" : name;
            }
            if (loss) plot.Axes.SetLimitsY(lossBottom, lossTop);
            else plot.Axes.SetLimitsY(accuracyTop - 9, accuracyTop);
            if (p == 0) plot.ShowLegend(Alignment.UpperRight);
        }
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        multiplot.SavePng(path, 1400, 1000);
        return path;
    }
}
