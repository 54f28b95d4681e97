using System.Collections.Immutable;
using System.Text;
using System.Text.RegularExpressions;
using Hypergrad.Analyzers;
using Hypergrad.CodeFixers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace Hypergrad.Generators.Tests.Infrastructure;

/// <summary>
/// Runs Hypergrad's analyzers over a source written with markup: <c>{|HG0001:Name|}</c> marks the exact span
/// where diagnostic HG0001 is expected. Every HG diagnostic must be marked and every mark reported.
/// </summary>
internal static class AnalyzerHarness
{
    public static readonly ImmutableArray<DiagnosticAnalyzer> Analyzers =
        ImmutableArray.Create<DiagnosticAnalyzer>(new DeclarationAnalyzer(), new DifferentiabilityAnalyzer(), new UnusedOuterVariableAnalyzer(), new OptimizerHyperparameterAnalyzer());

    private static readonly Regex Opening = new(@"\G\{\|(?<id>HG\d{4}):", RegexOptions.Compiled);

    /// <summary>Strips markup (which may nest); returns the source and the expected (id, span) pairs.</summary>
    public static (string Source, List<(string Id, TextSpan Span)> Expected) Parse(string markup)
    {
        var expected = new List<(string, TextSpan)>();
        var open = new Stack<(string Id, int Start)>();
        var source = new StringBuilder();
        for (int i = 0; i < markup.Length;)
        {
            if (Opening.Match(markup, i) is { Success: true } match)
            {
                open.Push((match.Groups["id"].Value, source.Length));
                i += match.Length;
            }
            else if (open.Count > 0 && string.CompareOrdinal(markup, i, "|}", 0, 2) == 0)
            {
                var (id, start) = open.Pop();
                expected.Add((id, new TextSpan(start, source.Length - start)));
                i += 2;
            }
            else
                source.Append(markup[i++]);
        }
        Assert.Empty(open);
        return (source.ToString(), expected);
    }

    /// <summary>The HG diagnostics the analyzers report on <paramref name="source"/> (which must compile).</summary>
    public static async Task<ImmutableArray<Diagnostic>> Diagnose(string source)
    {
        var compilation = TestCompilation.Create(source);
        Assert.Empty(TestCompilation.Errors(compilation));
        var diagnostics = await compilation.WithAnalyzers(Analyzers).GetAnalyzerDiagnosticsAsync();
        // An analyzer that throws reports AD0001 instead of its diagnostics: never acceptable.
        Assert.DoesNotContain(diagnostics, d => d.Id == "AD0001");
        return diagnostics.Where(d => d.Id.StartsWith("HG", StringComparison.Ordinal)).ToImmutableArray();
    }

    /// <summary>Asserts that exactly the marked diagnostics are reported.</summary>
    public static async Task Verify(string markup)
    {
        var (source, expected) = Parse(markup);
        var actual = await Diagnose(source);
        string Describe(string id, TextSpan span) => $"{id} at '{source.Substring(span.Start, span.Length)}' {span}";
        var expectedText = expected.Select(e => Describe(e.Id, e.Span)).OrderBy(t => t).ToList();
        var actualText = actual.Select(d => Describe(d.Id, d.Location.SourceSpan)).OrderBy(t => t).ToList();
        Assert.True(expectedText.SequenceEqual(actualText),
            $"Expected:\n  {string.Join("\n  ", expectedText)}\nActual:\n  {string.Join("\n  ", actual.Select(d => d.ToString()))}");
    }

    /// <summary>Applies the HG0008 code fix to the first fixable diagnostic; returns the new source (null when no fix is offered).</summary>
    public static async Task<string?> ApplyOptimizerFix(string source) =>
        (await ApplyFix(new UseDifferentiableOptimizerCodeFix(), source))?.Single();

    /// <summary>
    /// Applies <paramref name="fix"/>'s first action to the first diagnostic it fixes in <paramref name="sources"/> (one
    /// document each); returns every document's new text, or null when no fix is offered.
    /// </summary>
    public static async Task<string[]?> ApplyFix(CodeFixProvider fix, params string[] sources)
    {
        using var workspace = new AdhocWorkspace();
        var project = workspace.AddProject("UserProject", LanguageNames.CSharp)
            .WithMetadataReferences(TestCompilation.References)
            .WithParseOptions(TestCompilation.ParseOptions)
            .WithCompilationOptions(new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        var documents = new List<Document>();
        foreach (var (source, i) in sources.Select((s, i) => (s, i)))
        {
            var document = project.AddDocument($"File{i}.cs", SourceText.From(source));
            project = document.Project;
            documents.Add(document);
        }
        var compilation = (await project.GetCompilationAsync())!;
        // Compiler errors too: a fix may repair one (CS1061 left by another fix), listed after the analyzers' diagnostics.
        var diagnostics = (await compilation.WithAnalyzers(Analyzers).GetAnalyzerDiagnosticsAsync()).Concat(compilation.GetDiagnostics());

        foreach (var diagnostic in diagnostics.Where(d => fix.FixableDiagnosticIds.Contains(d.Id)))
        {
            var document = project.GetDocument(diagnostic.Location.SourceTree)!;
            var actions = new List<CodeAction>();
            await fix.RegisterCodeFixesAsync(new CodeFixContext(document, diagnostic, (action, _) => actions.Add(action), CancellationToken.None));
            if (actions.Count == 0) continue;
            var operations = await actions[0].GetOperationsAsync(CancellationToken.None);
            var solution = operations.OfType<ApplyChangesOperation>().Single().ChangedSolution;
            var texts = new List<string>();
            foreach (var original in documents)
            {
                var changed = solution.GetDocument(original.Id)!;
                changed = await Microsoft.CodeAnalysis.Simplification.Simplifier.ReduceAsync(changed, Microsoft.CodeAnalysis.Simplification.Simplifier.Annotation);
                texts.Add((await changed.GetTextAsync()).ToString());
            }
            return texts.ToArray();
        }
        return null;
    }
}
