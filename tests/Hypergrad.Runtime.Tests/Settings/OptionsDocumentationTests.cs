using Xunit;

namespace Hypergrad.Tests.Settings;

/// <summary>docs/dsl.md's options table is the rule table (OptionRules), rendered: it cannot drift from what is checked.</summary>
public class OptionsDocumentationTests
{
    /// <summary>The table as docs/dsl.md shows it.</summary>
    internal static string RenderTable() =>
        "| option | sets | applies to | valid values | unset |\n|---|---|---|---|---|\n" +
        string.Concat(OptionRules.All.Select(r => $"| `{r.Name}` | {r.Summary} | {r.AppliesToText} | {r.Range} | {r.Unset} |\n"));

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory != null; directory = directory.Parent)
            if (File.Exists(Path.Combine(directory.FullName, "Hypergrad.sln"))) return directory.FullName;
        throw new InvalidOperationException($"No Hypergrad.sln above {AppContext.BaseDirectory}.");
    }

    [Fact]
    public void The_options_table_in_docs_dsl_md_is_the_rule_table()
    {
        string table = RenderTable();
        string dsl = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "dsl.md")).Replace("\r\n", "\n");
        Assert.True(dsl.Contains(table), "docs/dsl.md must contain the rule table, rendered:\n" + table);
    }
}
