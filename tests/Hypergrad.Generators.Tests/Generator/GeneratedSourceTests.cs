using Hypergrad.Generators.Tests.Infrastructure;
using Hypergrad.Generators;

namespace Hypergrad.Generators.Tests.Generator;

/// <summary>What the generator emits: snapshots of the source, and that it compiles with zero errors.</summary>
public class GeneratedSourceTests
{
    [Fact]
    public void WeightDecayProblemMatchesSnapshot()
    {
        var (driver, _) = TestCompilation.Generate(TestCompilation.Create(Sources.WeightDecay));
        var generated = TestCompilation.GeneratedSources(driver);
        Assert.Equal(new[] { "Samples.WeightDecayTuning.Hypergrad.g.cs" }, generated.Keys);
        Snapshot.Verify(generated["Samples.WeightDecayTuning.Hypergrad.g.cs"], "WeightDecayTuning");
    }

    [Fact]
    public void EveryAdaptedShapeMatchesSnapshots()
    {
        var (driver, _) = TestCompilation.Generate(TestCompilation.Create(Sources.Shapes));
        var generated = TestCompilation.GeneratedSources(driver);
        Assert.Equal(new[] { "Container.Quadratic.Hypergrad.g.cs", "Unrolled.Hypergrad.g.cs" }, generated.Keys.Order());
        Snapshot.Verify(generated["Container.Quadratic.Hypergrad.g.cs"], "NestedQuadratic");
        Snapshot.Verify(generated["Unrolled.Hypergrad.g.cs"], "TruncatedUnroll");
    }

    [Fact]
    public void CompositionMatchesSnapshot()
    {
        var (driver, _) = TestCompilation.Generate(TestCompilation.Create(Sources.Composition));
        Snapshot.Verify(TestCompilation.GeneratedSources(driver)["Samples.Aggregated.Hypergrad.g.cs"], "Composition");
    }

    [Fact]
    public void SingleLoopProblemMatchesSnapshot()
    {
        var (driver, _) = TestCompilation.Generate(TestCompilation.Create(Sources.SingleLoop));
        Snapshot.Verify(TestCompilation.GeneratedSources(driver)["Samples.SingleLoopDecay.Hypergrad.g.cs"], "SingleLoop");
    }

    [Fact]
    public void MetaLearningMatchesSnapshot()
    {
        var (driver, _) = TestCompilation.Generate(TestCompilation.Create(Sources.MetaLearning));
        Snapshot.Verify(TestCompilation.GeneratedSources(driver)["Samples.Meta.Maml.Hypergrad.g.cs"], "MetaLearning");
    }

    [Fact]
    public void FixedPointMapProblemsMatchSnapshots()
    {
        var (driver, _) = TestCompilation.Generate(TestCompilation.Create(Sources.FixedPointMaps));
        var generated = TestCompilation.GeneratedSources(driver);
        Assert.Equal(new[] { "Samples.Equilibrium.Deq.Hypergrad.g.cs", "Samples.Equilibrium.DeqPerBatch.Hypergrad.g.cs" }, generated.Keys.Order());
        Snapshot.Verify(generated["Samples.Equilibrium.Deq.Hypergrad.g.cs"], "FixedPointMap");
        Snapshot.Verify(generated["Samples.Equilibrium.DeqPerBatch.Hypergrad.g.cs"], "FixedPointMapPerBatch");
    }

    [Theory]
    [InlineData(nameof(Sources.FixedPointMaps))]
    [InlineData(nameof(Sources.WeightDecay))]
    [InlineData(nameof(Sources.Shapes))]
    [InlineData(nameof(Sources.Composition))]
    [InlineData(nameof(Sources.MetaLearning))]
    [InlineData(nameof(Sources.SingleLoop))]
    public void GeneratedCodeCompilesWithZeroErrorsAndWarnings(string sourceName)
    {
        string source = (string)typeof(Sources).GetField(sourceName)!.GetValue(null)!;
        var input = TestCompilation.Create(source);
        Assert.Empty(TestCompilation.Errors(input));
        var (_, output) = TestCompilation.Generate(input);

        var generatedTrees = output.SyntaxTrees.Skip(input.SyntaxTrees.Count()).ToList();
        Assert.NotEmpty(generatedTrees);
        var problems = output.GetDiagnostics()
            .Where(d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error
                        || d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Warning && generatedTrees.Contains(d.Location.SourceTree!))
            .Select(d => d.ToString()).ToArray();
        Assert.True(problems.Length == 0, string.Join("\n", problems));
    }

    [Fact]
    public void OuterBoundsAreEmittedAsTheProblemsOuterBoundsAndCompile()
    {
        var input = TestCompilation.Create(Sources.Usings + """
            namespace Samples;

            [Hypergradient(Method.ConjugateGradient)]
            public partial class Bounded
            {
                [Inner] public Linear Model { get; } = nn.Linear(3, 1);
                [Outer(Min = 0, Max = 2.5)] public Parameter Decay { get; } = new(zeros(3));
                [Outer(Max = 1)] public Parameter Scale { get; } = new(ones(1));
                [Outer] public Parameter Free { get; } = new(ones(1));
                [InnerObjective] public Tensor Train(Tensor x, Tensor y) => mse_loss(Model.call(x), y) * Scale.sum() * Free.sum() + (Decay * Model.weight.pow(2)).sum();
                [OuterObjective] public Tensor Validate(Tensor x, Tensor y) => mse_loss(Model.call(x), y);
            }
            """);
        var (driver, output) = TestCompilation.Generate(input);
        string generated = TestCompilation.GeneratedSources(driver)["Samples.Bounded.Hypergrad.g.cs"];
        Assert.Contains("""
                innerStep: null)
            {
                // [Outer(Min = …, Max = …)]: Run clamps these variables into their bounds after every outer step.
                OuterBounds = new[] { new global::Hypergrad.Solving.OuterBound("Decay", 0.0, 2.5), new global::Hypergrad.Solving.OuterBound("Scale", global::System.Double.NegativeInfinity, 1.0) },
            };
""".Replace("\r", ""), generated.Replace("\r", ""));
        Assert.Empty(TestCompilation.Errors(output));
    }

    [Fact]
    public void GeneratedMembersAreTypedByTheObjectivesParameterLists()
    {
        var input = TestCompilation.Create(Sources.WeightDecay, Sources.Usings + """
            namespace Samples
            {
                using System.Collections.Generic;
                using Hypergrad.Solving;
                public static class Caller
                {
                    public static BilevelRunResult Use(WeightDecayTuning problem, IEnumerable<(Tensor, Tensor)> train, IEnumerable<(Tensor, Tensor)> validation, Tensor x, Tensor y)
                    {
                        using var result = problem.ComputeHypergradient((x, y), (x, y));
                        return problem.Run(train, validation, new BilevelOptions { Steps = 10 });
                    }

                    // Wrong batch shapes are compile errors, not run-time surprises.
                    public static void Misuse(WeightDecayTuning problem, IEnumerable<Tensor> wrong) =>
                        problem.Run(wrong, wrong, new BilevelOptions());
                }
            }
            """);
        var (_, output) = TestCompilation.Generate(input);
        var errors = output.GetDiagnostics().Where(d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error).ToList();
        // Only Misuse fails: two arguments of the wrong sequence type.
        Assert.NotEmpty(errors);
        Assert.All(errors, e => Assert.Equal("Misuse", FindMethod(e)));
    }

    private static string FindMethod(Microsoft.CodeAnalysis.Diagnostic diagnostic)
    {
        var node = diagnostic.Location.SourceTree!.GetRoot().FindNode(diagnostic.Location.SourceSpan);
        return node.AncestorsAndSelf().OfType<Microsoft.CodeAnalysis.CSharp.Syntax.MethodDeclarationSyntax>().FirstOrDefault()?.Identifier.Text ?? "";
    }

    [Theory]
    [InlineData("public class NotPartial")]                                      // HG0001
    [InlineData("public partial class MissingObjective")]                        // HG0002 (no outer objective below)
    public void InvalidClassesGetNoOutputAndNoGeneratorDiagnostics(string declaration)
    {
        string source = Sources.Usings + $$"""
            [Hypergradient(Method.ConjugateGradient)]
            {{declaration}}
            {
                [Inner] public Tensor W = zeros(2).requires_grad_(true);
                [Outer] public Tensor L = zeros(2).requires_grad_(true);
                [InnerObjective] public Tensor G() => (W * L).sum();
            }
            """;
        var (driver, _) = TestCompilation.Generate(TestCompilation.Create(source));
        var result = driver.GetRunResult();
        Assert.Empty(result.Diagnostics);
        Assert.Empty(result.GeneratedTrees);
    }

    [Fact]
    public void MalformedCodeMidEditNeverThrows()
    {
        string source = Sources.Usings + """
            [Hypergradient(Method.)]
            public partial class Broken
            {
                [Inner] public Tensor W = 
                [Outer] public
                [InnerObjective] public Tensor G(Tensor x, ) => 
                [OuterObjective] public Tensor F(ref Tensor x) => x;
            }
            """;
        Microsoft.CodeAnalysis.GeneratorDriver driver = Microsoft.CodeAnalysis.CSharp.CSharpGeneratorDriver.Create(new HypergradGenerator());
        driver = driver.RunGenerators(TestCompilation.Create(source));
        var result = driver.GetRunResult();
        Assert.All(result.Results, r => Assert.Null(r.Exception));
        Assert.Empty(result.GeneratedTrees);
    }
}
