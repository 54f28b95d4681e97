using System.Diagnostics;

namespace Hypergrad.Misuse.Tests;

/// <summary>
/// Runs cases in child processes of this assembly, several cases per child to keep start-up cost low. When a child
/// dies (a native abort), the case it had started is recorded as the culprit and the remaining cases run in a new child.
/// </summary>
public static class ChildProcess
{
    public const string Marker = "__cases";
    public const string StartPrefix = "START ";
    public const string ResultPrefix = "CASE ";

    /// <summary>Outcome per case id: "PASS", "FAIL reason" or "ABORT ...".</summary>
    public static Dictionary<string, string> RunAll(IReadOnlyList<string> ids, int parallelChildren)
    {
        var results = new Dictionary<string, string>();
        var chunks = ids.Select((id, i) => (id, i)).GroupBy(p => p.i % parallelChildren).Select(g => g.Select(p => p.id).ToList()).ToList();
        var partial = new Dictionary<string, string>[chunks.Count];
        Parallel.For(0, chunks.Count, new ParallelOptions { MaxDegreeOfParallelism = parallelChildren }, k => partial[k] = RunIsolating(chunks[k]));
        foreach (var part in partial)
            foreach (var (id, outcome) in part) results[id] = outcome;
        return results;
    }

    static Dictionary<string, string> RunIsolating(List<string> ids)
    {
        var results = new Dictionary<string, string>();
        var remaining = new List<string>(ids);
        while (remaining.Count > 0)
        {
            var (outcomes, started, exitCode, stderr) = RunChild(remaining);
            foreach (var (id, outcome) in outcomes) results[id] = outcome;
            remaining = remaining.Where(id => !results.ContainsKey(id)).ToList();
            if (remaining.Count == 0) break;
            // The child died: the case it had started (or else the first unreported one) killed it.
            var culprit = started is not null && remaining.Contains(started) ? started : remaining[0];
            results[culprit] = $"ABORT: the process died or hung (exit code {exitCode}) while this case ran. stderr: {Tail(stderr)}";
            remaining.Remove(culprit);
        }
        return results;
    }

    static (Dictionary<string, string> Outcomes, string? Started, int ExitCode, string Stderr) RunChild(List<string> ids)
    {
        var assembly = typeof(ChildProcess).Assembly.Location;
        var info = new ProcessStartInfo("dotnet", $"\"{assembly}\" {Marker}")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(assembly)!,
        };
        info.Environment["OMP_NUM_THREADS"] = "1";
        using var process = Process.Start(info)!;
        var stderrTask = process.StandardError.ReadToEndAsync();
        var outcomes = new Dictionary<string, string>();
        string? started = null;
        var reader = Task.Run(() =>
        {
            string? line;
            while ((line = process.StandardOutput.ReadLine()) is not null)
            {
                if (line.StartsWith(StartPrefix)) started = line[StartPrefix.Length..];
                else if (line.StartsWith(ResultPrefix))
                {
                    var rest = line[ResultPrefix.Length..];
                    int space = rest.IndexOf(' ');
                    outcomes[rest[..space]] = rest[(space + 1)..];
                }
            }
        });
        foreach (var id in ids) process.StandardInput.WriteLine(id);
        process.StandardInput.Close();
        // A hang is a failure too: a generous bound per case, far above what a tiny case needs.
        if (!process.WaitForExit(TimeSpan.FromSeconds(30 + 5 * ids.Count)))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
        reader.Wait();
        return (outcomes, started, process.ExitCode, stderrTask.Result);
    }

    static string Tail(string text) => text.Length <= 600 ? text.Trim() : "…" + text[^600..].Trim();
}
