using Hypergrad.Generators.Tests.Infrastructure;
using Hypergrad.CodeFixers;
using Hypergrad.Unrolled;
using Microsoft.CodeAnalysis;

namespace Hypergrad.Generators.Tests.Analyzers;

/// <summary>
/// Every code fix, applied, gives code that compiles with zero errors together with what the generator then emits,
/// and the diagnostic it fixes is gone.
/// </summary>
public class CodeFixCompileTests
{
    private const string Usings = "using System;\nusing Hypergrad;\nusing Hypergrad.Optimizers;\nusing TorchSharp;\nusing TorchSharp.Modules;\nusing static TorchSharp.torch;\n";

    private static string Body(string extra = "") => $$"""
            [Inner] public Tensor W = zeros(2).requires_grad_(true);
            [Outer] public Tensor L = zeros(2).requires_grad_(true);
            [InnerObjective] public Tensor G(Tensor x) => (W * L).sum() + x.sum();
            [OuterObjective] public Tensor F() => W.sum();
            {{extra}}
        """;

    /// <summary>Compiles the fixed sources with the generator and analyzers: no error anywhere, no <paramref name="fixedId"/>.</summary>
    private static async Task AssertCompiles(string[] fixedSources, string fixedId)
    {
        var input = TestCompilation.Create(fixedSources);
        var outcome = await GeneratorCheck.Run(input);
        Assert.True(outcome.Failures.Count == 0, string.Join("\n", outcome.Failures) + "\n" + string.Join("\n---\n", fixedSources));
        var (_, output) = TestCompilation.Generate(input);
        Assert.Empty(TestCompilation.Errors(output));
        Assert.DoesNotContain(outcome.Hg, d => d.Id == fixedId);
        Assert.DoesNotContain(outcome.Hg, d => d.Severity == DiagnosticSeverity.Error);
        Assert.NotEmpty(outcome.Generated);
    }

    [Fact]
    public async Task HG0001_MakesTheClassAndEveryContainingTypePartial()
    {
        string source = Usings + $$"""
            namespace Users
            {
                public static class Outer
                {
                    internal class Middle
                    {
                        [Hypergradient(Method.ConjugateGradient)]
                        public sealed class Problem
                        {
            {{Body()}}
                        }
                    }
                }
            }
            """;
        var result = (await AnalyzerHarness.ApplyFix(new MakePartialCodeFix(), source))!;
        Assert.NotNull(result);
        Assert.Contains("public static partial class Outer", result[0]);
        Assert.Contains("internal partial class Middle", result[0]);
        Assert.Contains("public sealed partial class Problem", result[0]);
        await AssertCompiles(result, "HG0001");
    }

    [Fact]
    public async Task HG0001_FixesEveryDeclarationInEveryFile()
    {
        // One declaration is partial, the other (in another file) is not: CS0260 and HG0001 until both are.
        string first = Usings + $$"""
            namespace Users
            {
                [Hypergradient(Method.ConjugateGradient)]
                public partial class Problem
                {
            {{Body()}}
                }
            }
            """;
        string second = Usings + """
            namespace Users
            {
                class Container { }
                public class Problem2 { }
            }
            """;
        // A class without modifiers gets 'partial' with its indentation kept.
        string bare = Usings + $$"""
            namespace Users
            {
                [Hypergradient(Method.ConjugateGradient)]
                class Bare
                {
            {{Body()}}
                }
            }
            """;
        var result = (await AnalyzerHarness.ApplyFix(new MakePartialCodeFix(), bare, second))!;
        Assert.Contains("\n    partial class Bare", result[0]);
        await AssertCompiles(result, "HG0001");
        Assert.NotNull(first);
    }

    [Theory]
    [InlineData("Method.ConjugateGradient, Rank = 5", "Method.ConjugateGradient")]
    [InlineData("Method.Nystrom, Rank = 5, Truncation = 2, Seed = 1", "Method.Nystrom, Rank = 5, Seed = 1")]
    public async Task HG0016_RemovesTheIgnoredOption(string before, string after)
    {
        string Source(string arguments) => Usings + $$"""
            [Hypergradient({{arguments}})]
            public partial class Problem
            {
            {{Body()}}
            }
            """;
        var result = (await AnalyzerHarness.ApplyFix(new RemoveIgnoredOptionCodeFix(), Source(before)))!;
        Assert.Equal(Source(after), result[0]);
        await AssertCompiles(result, "HG0016");
    }

    [Theory]
    [InlineData("Operation.ReverseUnroll, Operation.ConjugateGradient")]
    [InlineData("Operation.ConjugateGradient, Operation.InitializationUnroll, Operation.FirstOrder")]
    [InlineData("Operation.DualMultiplier, Operation.Neumann")]
    [InlineData("Operation.FirstOrder")]
    [InlineData("Operation.TruncatedUnroll, Operation.FiniteDifference, Operation.FiniteDifference")]
    public async Task HG0013_RewritesOperationsToAValidList(string operations)
    {
        string source = Usings + $$"""
            [Hypergradient(Method.ReverseUnroll, UnrollSteps = 4, Truncation = 2, Operations = new[] { {{operations}} })]
            public partial class Problem
            {
            {{Body()}}
            }
            """;
        var result = (await AnalyzerHarness.ApplyFix(new UseValidOperationsCodeFix(), source))!;
        Assert.NotNull(result);
        Assert.True(result[0].Contains("Operations = new[] { Operation."), result[0]);
        await AssertCompiles(result, "HG0013");
    }

    /// <summary>
    /// The list HG0013 proposes passes the rules, for every list of up to four operations (repeats and every order)
    /// and the step counts the analyzer checks with.
    /// </summary>
    [Fact]
    public void HG0013_EveryProposedListIsValid()
    {
        var all = Enum.GetValues<Operation>();
        var lists = new List<Operation[]> { Array.Empty<Operation>() };
        var current = lists.ToList();
        for (int length = 1; length <= 4; length++)
        {
            current = current.SelectMany(list => all.Select(o => list.Append(o).ToArray())).ToList();
            lists.AddRange(current);
        }
        Assert.Equal(1 + 12 + 144 + 1728 + 20736, lists.Count);
        int invalid = 0;
        foreach (var list in lists)
            foreach (var (steps, truncation) in new[] { (1, 0), (2, 0), (4, 2) })
            {
                if (CompositionRules.Validate(list, steps, truncation) is null) continue;
                invalid++;
                var proposed = CompositionRepair.ClosestValid(list, steps, truncation);
                var violation = CompositionRules.Validate(proposed, steps, truncation);
                Assert.True(violation is null, $"{CompositionRules.Describe(list)} (T = {steps}, K = {truncation}) → {CompositionRules.Describe(proposed)}: {violation}");
                Assert.All(proposed.Except(new[] { Operation.ReverseUnroll }), o => Assert.Contains(o, list));
            }
        Assert.True(invalid > 10000, $"only {invalid} invalid lists checked");
    }

    [Fact]
    public void HG0013_AValidListIsKeptWhole() =>
        Assert.Equal(new[] { Operation.InitializationUnroll, Operation.ConjugateGradient },
            CompositionRepair.ClosestValid(new[] { Operation.ConjugateGradient, Operation.InitializationUnroll }, 5));

    private static string OptimizerProblem(string members) => Usings + $$"""
        [Hypergradient(Method.ReverseUnroll)]
        public partial class Problem
        {
            [Inner] public Linear Model { get; } = nn.Linear(3, 1);
            [Outer] public Parameter Decay { get; } = new(zeros(1));
            [InnerObjective] public Tensor Train(Tensor x, Tensor y) => mse_loss(Model.call(x), y) + Decay.sum();
            [OuterObjective] public Tensor Validate(Tensor x, Tensor y) => mse_loss(Model.call(x), y);
        {{members}}
        }
        """.Replace("mse_loss", "nn.functional.mse_loss");

    [Theory]
    [InlineData("public object Make() => torch.optim.Adam(Model.parameters(), 0.01, amsgrad: true);", "new DifferentiableAdam(learningRate: 0.01, amsgrad: true)")]
    [InlineData("public void Make() { optim.Optimizer opt = torch.optim.SGD(Model.parameters(), 0.1, momentum: 0.9); }", "DifferentiableSgd opt = new DifferentiableSgd(learningRate: 0.1, momentum: 0.9)")]
    [InlineData("private optim.Optimizer? opt; public void Make() { opt ??= torch.optim.SGD(Model.parameters(), 0.1); }", "private DifferentiableSgd? opt;")]
    [InlineData("public optim.Optimizer Opt { get; set; } = null!; public void Make() { Opt = torch.optim.RMSProp(Model.parameters(), 0.01, momentum: 0.5, centered: true); }", "public DifferentiableRmsProp Opt { get; set; }")]
    [InlineData("public object Make() => torch.optim.Adagrad(Model.parameters(), lr_decay: 0.1, initial_accumulator_value: 0.2);", "new DifferentiableAdaGrad(learningRateDecay: 0.1, initialAccumulatorValue: 0.2)")]
    public async Task HG0008_KeepsEveryArgumentWithACounterpartAndTheDeclaredTypeCompiles(string members, string expected)
    {
        var result = (await AnalyzerHarness.ApplyFix(new UseDifferentiableOptimizerCodeFix(), OptimizerProblem(members)))!;
        Assert.NotNull(result);
        Assert.Contains(expected, result[0]);
        await AssertCompiles(result, "HG0008");
    }

    /// <summary>A torch.optim optimizer built in the constructor (not differentiated), stepped in a differentiated method.</summary>
    private static string SteppedOptimizer(string members) => OptimizerProblem(
        "private optim.Optimizer? opt;\n    public Problem() { opt = torch.optim.SGD(Model.parameters(), 0.1); }\n    " + members);

    [Theory]
    [InlineData("public void Adapt() { opt!.zero_grad(); opt.step(); }", "public void Adapt() { opt!.zero_grad(); }")]
    [InlineData("public void Adapt() { opt?.step(); }", "public void Adapt() { }")]
    [InlineData("public void Adapt(bool go) { if (go) opt!.step(); else opt!.zero_grad(); }", "if (go) { } else")]
    [InlineData("public void Adapt(int n) { switch (n) { case 1: opt!.step(); break; } }", "case 1: break;")]
    public async Task HG0008_RemovesAStepStatementAndTheResultCompiles(string members, string expected)
    {
        var result = (await AnalyzerHarness.ApplyFix(new RemoveOptimizerStepCodeFix(), SteppedOptimizer(members)))!;
        Assert.NotNull(result);
        Assert.Contains(expected, result[0]);
        Assert.DoesNotContain("step()", result[0]);
        await AssertCompiles(result, "HG0008");
    }

    [Theory]
    // step's result is used: removing the call would change what the method returns.
    [InlineData("public Tensor Adapt() => opt!.step(() => Model.weight.sum());")]
    // The construction (HG0008 without a step call) is the other fix's: this one stays silent.
    [InlineData("public object Make() => torch.optim.SGD(Model.parameters(), 0.1);")]
    public async Task HG0008_StepRemovalIsOfferedOnlyForAStepStatement(string members)
    {
        Assert.Contains((await AnalyzerHarness.Diagnose(SteppedOptimizer(members))), d => d.Id == "HG0008");
        Assert.Null(await AnalyzerHarness.ApplyFix(new RemoveOptimizerStepCodeFix(), SteppedOptimizer(members)));
    }

    [Theory]
    [InlineData("opt.step();", "public void Adapt() { }")]
    [InlineData("opt?.step();", "public void Adapt() { }")]
    public async Task HG0008_AStepLeftOnAConvertedOptimizerIsRemoved(string call, string expected)
    {
        // What the construction fix leaves when applied before the step fix: opt is differentiable, opt.step() is CS1061.
        string source = OptimizerProblem("private DifferentiableSgd opt = new DifferentiableSgd(learningRate: 0.1);\n    public void Adapt() { " + call + " }");
        var result = (await AnalyzerHarness.ApplyFix(new RemoveOptimizerStepCodeFix(), source))!;
        Assert.NotNull(result);
        Assert.Contains(expected, result[0]);
        await AssertCompiles(result, "CS1061");
    }

    [Fact]
    public async Task HG0008_AMissingMemberOtherThanStepIsNotRemoved() =>
        // CS1061 on anything but a differentiable optimizer's step stays the user's to fix.
        Assert.Null(await AnalyzerHarness.ApplyFix(new RemoveOptimizerStepCodeFix(),
            OptimizerProblem("private DifferentiableSgd opt = new DifferentiableSgd(learningRate: 0.1);\n    public void Adapt() { opt.zero_grad(); Model.step(); }")));

    [Fact]
    public async Task HG0008_TheConstructionFixIsNotOfferedOnAStepCall() =>
        Assert.Null(await AnalyzerHarness.ApplyFix(new UseDifferentiableOptimizerCodeFix(), SteppedOptimizer("public void Adapt() { opt!.step(); }")));
}
