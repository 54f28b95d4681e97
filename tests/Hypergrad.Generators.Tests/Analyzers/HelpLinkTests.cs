using System.Runtime.CompilerServices;
using Hypergrad.Generators.Tests.Infrastructure;

namespace Hypergrad.Generators.Tests.Analyzers;

/// <summary>Every diagnostic's help link is absolute, built from the one repository URL, and names a docs page that exists.</summary>
public class HelpLinkTests
{
    [Fact]
    public void EveryHelpLinkIsAnAbsoluteLinkToItsDocsPage()
    {
        string root = RepositoryRoot();
        string props = File.ReadAllText(Path.Combine(root, "Directory.Build.props"));
        string url = System.Text.RegularExpressions.Regex.Match(props, "<HypergradRepositoryUrl>(.*?)</HypergradRepositoryUrl>").Groups[1].Value;
        Assert.StartsWith("https://", url);

        var descriptors = AnalyzerHarness.Analyzers.SelectMany(a => a.SupportedDiagnostics).ToList();
        Assert.True(descriptors.Count >= 23, $"{descriptors.Count} descriptors");
        foreach (var descriptor in descriptors)
        {
            Assert.Equal($"{url}/blob/main/docs/diagnostics/{descriptor.Id}.md", descriptor.HelpLinkUri);
            Assert.True(File.Exists(Path.Combine(root, "docs", "diagnostics", descriptor.Id + ".md")), $"no docs page for {descriptor.Id}");
        }
    }

    private static string RepositoryRoot([CallerFilePath] string file = "")
    {
        for (var folder = Path.GetDirectoryName(file); folder is not null; folder = Path.GetDirectoryName(folder))
            if (File.Exists(Path.Combine(folder, "Hypergrad.sln"))) return folder;
        throw new InvalidOperationException("no repository root above " + file);
    }
}
