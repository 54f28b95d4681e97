using System;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Hypergrad.Benchmarks.Comparison;

/// <summary>
/// A stopwatch of the calling thread's CPU time that can be paused (while the harness evaluates a curve point).
/// The comparison runs every method on one thread with one intra-op thread, so the thread's CPU time is the run's
/// wall time on an idle core, and unlike wall time it does not grow when other processes share the machine.
/// Elsewhere than on Linux it falls back to wall time.
/// </summary>
public sealed class CpuClock
{
    const int ClockThreadCpuTime = 3;   // CLOCK_THREAD_CPUTIME_ID
    readonly Func<double> now;
    double elapsedBeforePause, resumedAt;
    bool running;

    /// <summary>A clock of the calling thread's CPU time (Linux), else of wall time.</summary>
    public CpuClock() : this(ThreadCpuSeconds) { }

    /// <summary>A clock reading <paramref name="now"/> (seconds), for tests.</summary>
    public CpuClock(Func<double> now) => this.now = now;

    /// <summary>What is measured: "CPU time" or "wall time".</summary>
    public static string Measures => OperatingSystem.IsLinux() ? "CPU time" : "wall time";

    /// <summary>Seconds measured while running.</summary>
    public double Seconds => elapsedBeforePause + (running ? now() - resumedAt : 0);

    /// <summary>Starts or resumes.</summary>
    public void Resume()
    {
        if (running) return;
        resumedAt = now();
        running = true;
    }

    /// <summary>Stops counting until <see cref="Resume"/>.</summary>
    public void Pause()
    {
        if (!running) return;
        elapsedBeforePause += now() - resumedAt;
        running = false;
    }

    static readonly Stopwatch Wall = Stopwatch.StartNew();

    static double ThreadCpuSeconds()
    {
        if (!OperatingSystem.IsLinux()) return Wall.Elapsed.TotalSeconds;
        if (clock_gettime(ClockThreadCpuTime, out var time) != 0)
            throw new InvalidOperationException("clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed.");
        return time.Seconds + time.Nanoseconds * 1e-9;
    }

    [StructLayout(LayoutKind.Sequential)]
    struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [DllImport("libc", SetLastError = true)]
    static extern int clock_gettime(int clockId, out TimeSpec time);
}
