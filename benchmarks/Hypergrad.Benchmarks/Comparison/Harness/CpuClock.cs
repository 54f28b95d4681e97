using System;

namespace Hypergrad.Benchmarks.Comparison;

/// <summary>
/// A stopwatch of the calling thread's CPU time that can be paused (while the harness evaluates a curve point).
/// The comparison runs every method on one thread with one intra-op thread, so the thread's CPU time is the run's
/// wall time on an idle core, and unlike wall time it does not grow when other processes share the machine.
/// Elsewhere than on Linux it falls back to wall time.
/// </summary>
public sealed class CpuClock
{
    readonly Func<double> now;
    double elapsedBeforePause, resumedAt;
    bool running;

    /// <summary>A clock of the calling thread's CPU time (Linux), else of wall time (<see cref="ThreadClock"/>).</summary>
    public CpuClock() : this(() => ThreadClock.Milliseconds() / 1e3) { }

    /// <summary>A clock reading <paramref name="now"/> (seconds), for tests.</summary>
    public CpuClock(Func<double> now) => this.now = now;

    /// <summary>What is measured: "CPU time" or "wall time".</summary>
    public static string Measures => ThreadClock.IsCpuTime ? "CPU time" : "wall time";

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
}
