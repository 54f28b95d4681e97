using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Hypergrad.Generators.Tests.Infrastructure;

/// <summary>
/// The generator's contract on one user source that compiles: the generator never throws (no CS8785), the analyzers
/// never throw (no AD0001), and the generated code compiles (a class the analyzers give an HG error gets none).
/// </summary>
internal static class GeneratorCheck
{
    /// <summary>What the generator and analyzers made of a source.</summary>
    /// <param name="Generated">Generated sources by hint name.</param>
    /// <param name="GeneratedErrors">Compile errors located in generated code.</param>
    /// <param name="Hg">The HG diagnostics the analyzers report on the user's code.</param>
    /// <param name="Failures">Contract violations (empty when the contract holds).</param>
    public sealed record Outcome(IReadOnlyDictionary<string, string> Generated, string[] GeneratedErrors, ImmutableArray<Diagnostic> Hg, List<string> Failures);

    public static CSharpCompilation Compile(string source, LanguageVersion version = LanguageVersion.CSharp12) =>
        CSharpCompilation.Create("UserProject",
            new[] { CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(version), path: "File0.cs") },
            TestCompilation.References,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true,
                nullableContextOptions: version >= LanguageVersion.CSharp8 ? NullableContextOptions.Enable : NullableContextOptions.Disable));

    /// <summary>Runs generator and analyzers on <paramref name="input"/> (which must compile) and checks the contract.</summary>
    public static async Task<Outcome> Run(CSharpCompilation input, bool checkCaching = true)
    {
        var failures = new List<string>();
        var inputErrors = TestCompilation.Errors(input);
        if (inputErrors.Length > 0) failures.Add("the user's code itself does not compile: " + string.Join("; ", inputErrors));

        GeneratorDriver driver = CSharpGeneratorDriver.Create(
            new[] { new HypergradGenerator().AsSourceGenerator() },
            parseOptions: (CSharpParseOptions)input.SyntaxTrees.First().Options,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));
        driver = driver.RunGeneratorsAndUpdateCompilation(input, out var output, out var generatorDiagnostics);
        failures.AddRange(generatorDiagnostics.Select(d => "generator: " + d));   // CS8785 (the generator threw) and any other
        failures.AddRange(driver.GetRunResult().Results.Where(r => r.Exception is not null).Select(r => "generator threw: " + r.Exception));
        if (checkCaching && failures.Count == 0) TestCompilation.AssertSecondRunCached(driver, input);

        var generatedTrees = output.SyntaxTrees.Skip(input.SyntaxTrees.Count()).ToHashSet();
        var generatedErrors = output.GetDiagnostics()
            .Where(d => d.Severity == DiagnosticSeverity.Error && d.Location.SourceTree is { } tree && generatedTrees.Contains(tree))
            .Select(d => d.ToString()).ToArray();

        var analyzerDiagnostics = await input.WithAnalyzers(AnalyzerHarness.Analyzers).GetAnalyzerDiagnosticsAsync();
        failures.AddRange(analyzerDiagnostics.Where(d => d.Id == "AD0001").Select(d => "analyzer threw: " + d));
        var hg = analyzerDiagnostics.Where(d => d.Id.StartsWith("HG", StringComparison.Ordinal)).ToImmutableArray();
        // The generator emits nothing for a class with an HG error, so generated code never has a compile error.
        if (generatedErrors.Length > 0)
            failures.Add("generated code does not compile (HG: " + string.Join(", ", hg.Select(d => d.Id)) + "): " + string.Join("; ", generatedErrors));

        var generated = driver.GetRunResult().Results.Single().GeneratedSources.ToDictionary(s => s.HintName, s => s.SourceText.ToString());
        return new Outcome(generated, generatedErrors, hg, failures);
    }
}
