using System.Collections.Immutable;
using Hypergrad.Generators;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Hypergrad.Generators.Tests.Infrastructure;

/// <summary>
/// Compilations of test sources against what a user's project references: the .NET framework of this test's
/// own runtime (TRUSTED_PLATFORM_ASSEMBLIES), TorchSharp and Hypergrad.Runtime.
/// </summary>
internal static class TestCompilation
{
    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.CSharp12);

    private static readonly Lazy<ImmutableArray<MetadataReference>> LazyReferences = new(() =>
    {
        var paths = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal)
                        || Path.GetFileName(p) is "netstandard.dll" or "mscorlib.dll" or "Microsoft.CSharp.dll" or "TorchSharp.dll")
            .ToList();
        paths.Add(typeof(TorchSharp.torch).Assembly.Location);
        paths.Add(typeof(HypergradientAttribute).Assembly.Location);
        return paths.Distinct().Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToImmutableArray();
    });

    /// <summary>Framework + TorchSharp + Hypergrad.Runtime.</summary>
    public static ImmutableArray<MetadataReference> References => LazyReferences.Value;

    /// <summary>A library compilation of <paramref name="sources"/> (global usings of a typical user file included).</summary>
    public static CSharpCompilation Create(params string[] sources) =>
        CSharpCompilation.Create("UserProject",
            sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, ParseOptions, path: $"File{i}.cs")),
            References,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

    /// <summary>
    /// Runs the generator over <paramref name="compilation"/>; returns the driver (for its run result) and the output
    /// compilation. A first run (no <paramref name="driver"/>) is repeated on the same compilation, which must leave
    /// every step cached (as NetEscapades' generator test helpers check): the models compare equal.
    /// </summary>
    public static (GeneratorDriver Driver, Compilation Output) Generate(Compilation compilation, GeneratorDriver? driver = null)
    {
        bool first = driver is null;
        driver ??= CSharpGeneratorDriver.Create(
            new[] { new HypergradGenerator().AsSourceGenerator() },
            parseOptions: (CSharpParseOptions)compilation.SyntaxTrees.FirstOrDefault()?.Options ?? ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));
        driver = driver.RunGeneratorsAndUpdateCompilation(compilation, out var output, out var diagnostics);
        Assert.Empty(diagnostics);
        Assert.All(driver.GetRunResult().Results, r => Assert.Null(r.Exception));
        if (first) AssertSecondRunCached(driver, compilation);
        return (driver, output);
    }

    /// <summary>Runs <paramref name="driver"/> again on a copy of <paramref name="compilation"/> and asserts every output step is cached.</summary>
    public static void AssertSecondRunCached(GeneratorDriver driver, Compilation compilation)
    {
        var again = driver.RunGenerators(compilation.Clone()).GetRunResult().Results.Single();
        var uncached = again.TrackedSteps.Where(step => step.Key is TrackingNames.Valid)
            .Concat(again.TrackedOutputSteps)
            .SelectMany(step => step.Value.SelectMany(run => run.Outputs).Select(output => (step.Key, output.Reason)))
            .Where(output => output.Reason != IncrementalStepRunReason.Cached && output.Reason != IncrementalStepRunReason.Unchanged)
            .ToList();
        Assert.True(uncached.Count == 0, "second run not cached: " + string.Join(", ", uncached));
    }

    /// <summary>The generated sources of one run, by hint name.</summary>
    public static IReadOnlyDictionary<string, string> GeneratedSources(GeneratorDriver driver) =>
        driver.GetRunResult().Results.Single().GeneratedSources.ToDictionary(s => s.HintName, s => s.SourceText.ToString());

    /// <summary>Errors of <paramref name="compilation"/>, formatted for assertion messages.</summary>
    public static string[] Errors(Compilation compilation) =>
        compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.ToString()).ToArray();
}
