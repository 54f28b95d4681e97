using Hypergrad.Generators.Tests.Infrastructure;
using Xunit.Sdk;

namespace Hypergrad.Generators.Tests.Generator;

/// <summary>The snapshot helper itself: it passes on equal text and fails (writing the received text) on a difference.</summary>
public class SnapshotHelperTests
{
    private static readonly string Folder = Path.Combine(Path.GetDirectoryName(ThisFile())!, "..", "Snapshots");

    [Fact]
    public void EqualTextPasses() => Snapshot.Verify("expected snapshot text\n", "SnapshotHelper", accept: false);

    [Fact]
    public void DifferentTextFailsAndWritesTheReceivedFile()
    {
        string received = Path.Combine(Folder, "SnapshotHelper.received.cs");
        try
        {
            var failure = Assert.ThrowsAny<XunitException>(() => Snapshot.Verify("other text\n", "SnapshotHelper", accept: false));
            Assert.Contains("first difference at line 1", failure.Message);
            Assert.Contains(Snapshot.AcceptVariable, failure.Message);
            Assert.Equal("other text\n", File.ReadAllText(received));
            Assert.Equal("expected snapshot text\n", File.ReadAllText(Path.Combine(Folder, "SnapshotHelper.verified.cs")));
        }
        finally
        {
            File.Delete(received);
        }
    }

    private static string ThisFile([System.Runtime.CompilerServices.CallerFilePath] string path = "") => path;
}
