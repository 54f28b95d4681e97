using System.Diagnostics;
using Hypergrad.Generators.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit.Abstractions;

namespace Hypergrad.Generators.Tests.Fuzz;

/// <summary>
/// The generator's contract over seeded mutations of valid DSL classes (<see cref="MutatedSources"/>): for every
/// mutated source whose user code compiles, no generator exception (CS8785), no analyzer exception (AD0001), and no
/// compile error in generated code. A failure prints the seed, the mutations and the source; rerun one seed with
/// HYPERGRAD_FUZZ_SEED=n.
/// </summary>
public class GeneratorFuzzTests(ITestOutputHelper output)
{
    private const int Sources = 500;
    private const int DefaultSeed = 20261201;

    [Fact]
    public async Task MutatedSourcesNeverBreakTheGeneratorOrItsOutput()
    {
        int seed = int.TryParse(Environment.GetEnvironmentVariable("HYPERGRAD_FUZZ_SEED"), out var chosen) ? chosen : DefaultSeed;
        var random = new Random(seed);
        var clock = Stopwatch.StartNew();
        int checkedSources = 0, attempts = 0, generated = 0, diagnosed = 0;
        var failures = new List<string>();
        // Sources are drawn in order from one seeded generator, checked a chunk at a time in parallel, and counted
        // in order, so a seed always checks the same sources.
        while (checkedSources < Sources && attempts < 20 * Sources)
        {
            var chunk = Enumerable.Range(0, 50).Select(_ => (Attempt: ++attempts, Mutated: MutatedSources.Next(random))).ToList();
            var outcomes = await Task.WhenAll(chunk.Select(item => Task.Run(async () =>
            {
                var (source, version, _) = item.Mutated;
                var input = GeneratorCheck.Compile(source, LanguageVersionFacts.TryParse(version, out var parsed) ? parsed : LanguageVersion.CSharp12);
                // The contract is about code that compiles.
                return TestCompilation.Errors(input).Length > 0 ? null : await GeneratorCheck.Run(input, checkCaching: false);
            })));
            foreach (var (item, outcome) in chunk.Zip(outcomes))
            {
                if (outcome is null || checkedSources == Sources) continue;
                checkedSources++;
                if (outcome.Generated.Count > 0) generated++;
                if (outcome.Hg.Any(d => d.Severity == DiagnosticSeverity.Error)) diagnosed++;
                var (source, version, mutations) = item.Mutated;
                if (outcome.Failures.Count > 0)
                    failures.Add($"attempt {item.Attempt} (seed {seed}), C# {version}, mutations: {mutations}\n{string.Join("\n", outcome.Failures)}\n{source}");
            }
        }
        output.WriteLine($"{checkedSources} compiling sources of {attempts} mutated (seed {seed}): {generated} got generated code, " +
                         $"{diagnosed} an HG error; {failures.Count} failures; {clock.Elapsed.TotalSeconds:F0} s");

        foreach (var failure in failures) output.WriteLine(failure);
        Assert.True(failures.Count == 0, $"{failures.Count} of {checkedSources} sources broke the contract; first:\n{failures.FirstOrDefault()}");
        Assert.Equal(Sources, checkedSources);
        // Both outcomes occur often, so the check exercises generated code as well as the diagnostics.
        Assert.True(generated > Sources / 10, $"only {generated} sources got generated code");
        Assert.True(diagnosed > Sources / 10, $"only {diagnosed} sources got an HG error");
    }
}
