namespace Hypergrad.Misuse.Tests;

/// <summary>
/// The child process: <c>dotnet Hypergrad.Misuse.Tests.dll __cases</c> reads case ids from stdin (one per line), runs
/// each and prints <c>CASE &lt;id&gt; PASS</c> or <c>CASE &lt;id&gt; FAIL &lt;reason&gt;</c> before the next starts, so
/// the parent knows which case was running when a native abort killed the process.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args is ["__list"])
        {
            foreach (var c in Catalog.All) Console.WriteLine(c.Id);
            return 0;
        }
        if (args.Length != 1 || args[0] != ChildProcess.Marker)
        {
            Console.Error.WriteLine($"Run by the misuse tests as: dotnet Hypergrad.Misuse.Tests.dll {ChildProcess.Marker} (case ids on stdin).");
            return 2;
        }
        var cases = Catalog.All.Concat(Catalog.Harness).ToDictionary(c => c.Id);
        string? id;
        while ((id = Console.In.ReadLine()) is not null)
        {
            if (id.Length == 0) continue;
            Console.Out.WriteLine($"{ChildProcess.StartPrefix}{id}");
            Console.Out.Flush();
            string outcome;
            try
            {
                cases[id].Run();
                outcome = "PASS";
            }
            catch (Exception e)
            {
                outcome = "FAIL " + e.ToString().Replace('\n', ' ').Replace('\r', ' ');
            }
            Console.Out.WriteLine($"{ChildProcess.ResultPrefix}{id} {outcome}");
            Console.Out.Flush();
        }
        return 0;
    }
}
