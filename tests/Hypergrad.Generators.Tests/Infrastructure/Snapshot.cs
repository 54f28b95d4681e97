using System.Runtime.CompilerServices;

namespace Hypergrad.Generators.Tests.Infrastructure;

/// <summary>
/// Snapshot testing of generated source: compares text with <c>Snapshots/&lt;name&gt;.verified.cs</c> next to the
/// test. On a difference it writes <c>&lt;name&gt;.received.cs</c> beside it and fails. Run the tests with
/// <c>HYPERGRAD_ACCEPT_SNAPSHOTS=1</c> to accept the received text as the new verified snapshot.
/// </summary>
internal static class Snapshot
{
    public const string AcceptVariable = "HYPERGRAD_ACCEPT_SNAPSHOTS";

    /// <param name="actual">The generated text.</param>
    /// <param name="name">The snapshot's name (file <c>Snapshots/&lt;name&gt;.verified.cs</c>).</param>
    /// <param name="accept">Accept the text as the new snapshot; default: the environment variable decides.</param>
    /// <param name="testFile">Filled in by the compiler: locates the test project.</param>
    public static void Verify(string actual, string name, bool? accept = null, [CallerFilePath] string testFile = "")
    {
        string folder = Path.Combine(FindProjectFolder(testFile), "Snapshots");
        string verified = Path.Combine(folder, name + ".verified.cs");
        string received = Path.Combine(folder, name + ".received.cs");
        actual = Normalize(actual);

        if (accept ?? Environment.GetEnvironmentVariable(AcceptVariable) == "1")
        {
            Directory.CreateDirectory(folder);
            File.WriteAllText(verified, actual);
            File.Delete(received);
            return;
        }

        string? expected = File.Exists(verified) ? Normalize(File.ReadAllText(verified)) : null;
        if (expected == actual)
        {
            File.Delete(received);
            return;
        }
        File.WriteAllText(received, actual);
        Assert.Fail(expected is null
            ? $"No snapshot {verified}. Review {received} and accept it with {AcceptVariable}=1."
            : $"Generated source differs from {verified} (first difference at line {FirstDifferentLine(expected, actual)}). " +
              $"Review {received}; accept it with {AcceptVariable}=1.");
    }

    private static string Normalize(string text) => text.Replace("\r\n", "\n");

    private static int FirstDifferentLine(string expected, string actual)
    {
        var a = expected.Split('\n');
        var b = actual.Split('\n');
        for (int i = 0; i < Math.Min(a.Length, b.Length); i++)
            if (a[i] != b[i]) return i + 1;
        return Math.Min(a.Length, b.Length) + 1;
    }

    /// <summary>The folder of the test project that contains <paramref name="testFile"/>.</summary>
    private static string FindProjectFolder(string testFile)
    {
        for (var folder = Path.GetDirectoryName(testFile); folder is not null; folder = Path.GetDirectoryName(folder))
            if (Directory.EnumerateFiles(folder, "*.csproj").Any()) return folder;
        throw new InvalidOperationException($"No project folder above {testFile}.");
    }
}
