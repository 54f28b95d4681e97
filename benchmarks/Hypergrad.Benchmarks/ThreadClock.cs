using System;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Hypergrad.Benchmarks;

/// <summary>
/// CPU time of the calling thread (Linux <c>CLOCK_THREAD_CPUTIME_ID</c>; wall time elsewhere). With one intra-op thread all
/// of libtorch's work runs on the calling thread, so this counts the computation and not the time other processes on a
/// shared machine took the core away: ratios of it move far less with the machine's load than ratios of wall time.
/// </summary>
static class ThreadClock
{
    [StructLayout(LayoutKind.Sequential)]
    struct TimeSpec { public long Seconds; public long Nanoseconds; }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    static extern int ClockGetTime(int clock, out TimeSpec time);

    const int ThreadCpuTime = 3;   // CLOCK_THREAD_CPUTIME_ID

    /// <summary>True when the clock measures thread CPU time (false: it falls back to wall time).</summary>
    public static bool IsCpuTime { get; } = OperatingSystem.IsLinux() && Probe();

    /// <summary>The current reading in milliseconds.</summary>
    public static double Milliseconds()
    {
        if (!IsCpuTime) return Stopwatch.GetTimestamp() * 1e3 / Stopwatch.Frequency;
        ClockGetTime(ThreadCpuTime, out var t);
        return t.Seconds * 1e3 + t.Nanoseconds * 1e-6;
    }

    static bool Probe()
    {
        try { return ClockGetTime(ThreadCpuTime, out _) == 0; }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { return false; }
    }
}
