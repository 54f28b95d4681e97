using System;
using System.IO;
using System.Runtime.InteropServices;

namespace Hypergrad.Samples;

/// <summary>
/// Peak native memory of a piece of work: the resident set's high-water mark during it minus the
/// resident size before it (Linux's VmHWM, reset through /proc/self/clear_refs). It counts everything
/// libtorch allocates, autograd graphs included. Memory glibc holds free is returned first, so an
/// earlier computation's freed memory does not hide this one's.
/// </summary>
public static class MemoryFootprint
{
    /// <summary>Bytes the work added at its peak, or null where it cannot be measured (not Linux).</summary>
    public static long? Measure(Action work)
    {
        ArgumentNullException.ThrowIfNull(work);
        if (!OperatingSystem.IsLinux()) { work(); return null; }
        GC.Collect(); GC.WaitForPendingFinalizers(); GC.Collect();
        malloc_trim(0);
        try { File.WriteAllText("/proc/self/clear_refs", "5"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { work(); return null; }
        long before = Status("VmRSS:");
        work();
        return Math.Max(0, Status("VmHWM:") - before);
    }

    [DllImport("libc")]
    static extern int malloc_trim(nuint pad);

    static long Status(string field)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith(field, StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        throw new InvalidOperationException($"/proc/self/status has no {field} line.");
    }
}
