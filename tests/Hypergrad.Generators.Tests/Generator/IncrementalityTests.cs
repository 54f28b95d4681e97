using Hypergrad.Generators.Tests.Infrastructure;
using Hypergrad.Generators;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Hypergrad.Generators.Tests.Generator;

/// <summary>Edits that do not change a problem's declaration leave the generator's output steps cached.</summary>
public class IncrementalityTests
{
    [Theory]
    [InlineData(nameof(Sources.WeightDecay))]
    [InlineData(nameof(Sources.Composition))]    // array-valued attribute argument (Operations)
    [InlineData(nameof(Sources.MetaLearning))]   // [Inner(InitializedFrom = …)]
    [InlineData(nameof(Sources.FixedPointMaps))] // [FixedPointMap] problems (two classes)
    public void CommentEditLeavesTheModelAndOutputCached(string sourceName)
    {
        var compilation = TestCompilation.Create((string)typeof(Sources).GetField(sourceName)!.GetValue(null)!);
        var (driver, _) = TestCompilation.Generate(compilation);

        var tree = compilation.SyntaxTrees.Single();
        var edited = tree.WithChangedText(tree.GetText().Replace(tree.GetText().ToString().IndexOf("namespace Samples", StringComparison.Ordinal), 0, "// a comment\n"));
        var (next, _) = TestCompilation.Generate(compilation.ReplaceSyntaxTree(tree, edited), driver);

        AssertCached(next);
    }

    [Fact]
    public void UnrelatedFileLeavesTheModelAndOutputCached()
    {
        var compilation = TestCompilation.Create(Sources.WeightDecay);
        var (driver, _) = TestCompilation.Generate(compilation);

        var unrelated = CSharpSyntaxTree.ParseText("namespace Other; public class Helper { public int Value => 42; }", TestCompilation.ParseOptions);
        var (next, _) = TestCompilation.Generate(compilation.AddSyntaxTrees(unrelated), driver);

        AssertCached(next);
    }

    [Fact]
    public void ChangingAnOptionRegeneratesTheOutput()
    {
        var compilation = TestCompilation.Create(Sources.WeightDecay);
        var (driver, _) = TestCompilation.Generate(compilation);

        var tree = compilation.SyntaxTrees.Single();
        var text = tree.GetText().ToString();
        var edited = tree.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From(text.Replace("Rank = 5", "Rank = 7")));
        var (next, _) = TestCompilation.Generate(compilation.ReplaceSyntaxTree(tree, edited), driver);

        var steps = next.GetRunResult().Results.Single().TrackedSteps;
        Assert.Contains(steps[TrackingNames.Valid].SelectMany(s => s.Outputs), o => o.Reason == IncrementalStepRunReason.Modified);
        Assert.Contains("Rank = 7", TestCompilation.GeneratedSources(next).Values.Single());
    }

    private static void AssertCached(GeneratorDriver driver)
    {
        var result = driver.GetRunResult().Results.Single();
        var steps = result.TrackedSteps;
        Assert.True(steps.ContainsKey(TrackingNames.Extracted) && steps.ContainsKey(TrackingNames.Valid), "the pipeline's steps are tracked by name");
        // The model is re-extracted for the edited tree but compares equal; everything after it is cached.
        Assert.All(steps[TrackingNames.Extracted].SelectMany(s => s.Outputs),
            o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"Extracted: {o.Reason}"));
        Assert.All(steps[TrackingNames.Valid].SelectMany(s => s.Outputs),
            o => Assert.Equal(IncrementalStepRunReason.Cached, o.Reason));
        Assert.All(result.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs),
            o => Assert.Equal(IncrementalStepRunReason.Cached, o.Reason));
    }
}
