using Xunit;

namespace Hypergrad.Misuse.Tests;

/// <summary>
/// One test per misuse case. All cases run once, in child processes (two at a time, many cases each); a case that
/// kills its process (a native abort) or hangs fails alone and the rest run on in a new process.
/// </summary>
public class MisuseTests
{
    static readonly Lazy<Dictionary<string, string>> Outcomes =
        new(() => ChildProcess.RunAll(Catalog.All.Select(c => c.Id).ToList(), parallelChildren: 2));

    public static IEnumerable<object[]> CaseIds => Catalog.All.Select(c => new object[] { c.Id });

    [Theory]
    [MemberData(nameof(CaseIds))]
    public void Case(string id)
    {
        Assert.True(Outcomes.Value.TryGetValue(id, out var outcome), $"{id}: no outcome reported");
        Assert.True(outcome == "PASS", $"{id}: {outcome}");
    }

    [Fact]
    public void AChildThatAbortsFailsOnlyItsCaseAndTheRestStillRun()
    {
        var outcomes = ChildProcess.RunAll(["Harness.Passes", "Harness.NativeAbort", "Harness.FailsAfterAbort"], parallelChildren: 1);
        Assert.Equal("PASS", outcomes["Harness.Passes"]);
        Assert.StartsWith("ABORT", outcomes["Harness.NativeAbort"]);
        Assert.StartsWith("FAIL", outcomes["Harness.FailsAfterAbort"]);
        Assert.Contains("an ordinary failure", outcomes["Harness.FailsAfterAbort"]);
    }

    [Fact]
    public void CatalogHasAtLeast300Cases() => Assert.True(Catalog.All.Count >= 300, $"{Catalog.All.Count} cases");
}
