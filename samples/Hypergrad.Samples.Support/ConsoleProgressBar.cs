using System;
using System.Diagnostics;
using System.IO;

namespace Hypergrad.Samples;

/// <summary>
/// A one-line progress bar with a status text (the outer loss). On a terminal it redraws in place at
/// most ten times a second; when output is redirected (CI logs, tests) it writes one line per tenth of
/// the run instead, so logs stay short and readable.
/// </summary>
/// <remarks>
/// Spectre.Console restores here and draws nicer bars, but it renders nothing live when output is
/// redirected and would be the samples' only extra dependency; a bar is forty lines.
/// </remarks>
public sealed class ConsoleProgressBar
{
    const int Width = 30;
    readonly string label;
    readonly int total;
    readonly TextWriter writer;
    readonly bool interactive;
    readonly Stopwatch clock = Stopwatch.StartNew();
    long lastDrawMs = -1000;
    int lastTenth = -1;

    /// <summary>Starts a bar for <paramref name="total"/> steps, labelled e.g. "Nyström".</summary>
    /// <param name="label">What is running.</param>
    /// <param name="total">Number of steps at 100 %.</param>
    /// <param name="writer">Where to draw; the console when null.</param>
    public ConsoleProgressBar(string label, int total, TextWriter? writer = null)
    {
        this.label = label;
        this.total = Math.Max(1, total);
        this.writer = writer ?? Console.Out;
        interactive = writer is null && !Console.IsOutputRedirected;
    }

    /// <summary>Reports that <paramref name="done"/> steps are finished, with a status such as "outer loss 0.4123".</summary>
    public void Report(int done, string status)
    {
        done = Math.Clamp(done, 0, total);
        if (interactive)
        {
            if (clock.ElapsedMilliseconds - lastDrawMs < 100 && done < total) return;
            lastDrawMs = clock.ElapsedMilliseconds;
            writer.Write("\r" + Line(done, status).PadRight(Console.WindowWidth > 0 ? Console.WindowWidth - 1 : 100));
            if (done == total) writer.WriteLine();
        }
        else
        {
            int tenth = done * 10 / total;
            if (tenth == lastTenth) return;
            lastTenth = tenth;
            writer.WriteLine(Line(done, status));
        }
    }

    string Line(int done, string status)
    {
        int filled = done * Width / total;
        return $"{label,-20} [{new string('#', filled)}{new string('.', Width - filled)}] {done,5}/{total} {clock.Elapsed.TotalSeconds,6:F1}s  {status}";
    }
}
