using Hypergrad.Generators.Tests.EndToEnd;
using Hypergrad.Generators.Tests.Infrastructure;

namespace Hypergrad.Generators.Tests.Analyzers;

/// <summary>
/// HG0012/HG0016 follow the option rules the runtime applies: the implicit stage of a composition takes the solver
/// options, FixedPoint takes Alpha, and the runtime refuses exactly what the attribute refuses, in the same words.
/// </summary>
public class OptionRulesAnalyzerTests
{
    private const string ValidBody = """
        {
            [Inner] public Linear Model { get; } = nn.Linear(3, 1);
            [Outer] public Parameter Decay { get; } = new(zeros(1));
            [InnerObjective] public Tensor Train(Tensor x, Tensor y) => mse_loss(Model.call(x), y) + Decay.exp().sum() * Model.weight.pow(2).sum();
            [OuterObjective] public Tensor Validate(Tensor x, Tensor y) => mse_loss(Model.call(x), y);
        }
        """;

    private static Task Verify(string attribute) => AnalyzerHarness.Verify(Sources.Usings + attribute + "\npublic partial class Options\n" + ValidBody);

    [Theory]
    [InlineData("Operation.InitializationUnroll, Operation.ConjugateGradient", "Iterations = 50, Tolerance = 1e-14, Rho = 0.1")]
    [InlineData("Operation.InitializationUnroll, Operation.Neumann", "Iterations = 5, Tolerance = 1e-10, Alpha = 0.2")]
    [InlineData("Operation.TruncatedUnroll, Operation.ReverseUnroll", "Truncation = 2, UnrollSteps = 5")]
    [InlineData("Operation.GradientDescentAggregation, Operation.ReverseUnroll", "AggregationAlpha = 0.3, AggregationDecay = 0.9")]
    public Task OptionsOfACompositionsStagesAreUsed(string operations, string options) =>
        Verify($"[Hypergradient(Method.ReverseUnroll, Operations = new[] {{ {operations} }}, {options})]");

    [Fact]
    public Task AlphaIsNotUsedByAConjugateGradientStage() =>
        Verify("[Hypergradient(Method.ReverseUnroll, Operations = new[] { Operation.InitializationUnroll, Operation.ConjugateGradient }, {|HG0016:Alpha = 0.5|})]");

    [Fact]
    public Task SolverOptionsAreNotUsedWithoutAnImplicitStage() =>
        Verify("[Hypergradient(Method.ReverseUnroll, Operations = new[] { Operation.InitializationUnroll }, {|HG0016:Iterations = 30|})]");

    [Fact]
    public Task FixedPointTakesAlpha() => Verify("[Hypergradient(Method.FixedPoint, Alpha = 0.5, Iterations = 20)]");

    [Fact]
    public Task AggregationOptionsNeedGradientDescentAggregation() =>
        Verify("[Hypergradient(Method.ReverseUnroll, {|HG0016:AggregationAlpha = 0.3|})]");

    [Fact]
    public Task TruncatedUnrollNeedsTruncation() => AnalyzerHarness.Verify(Sources.Usings +
        "[{|HG0012:Hypergradient(Method.TruncatedUnroll, UnrollSteps = 5)|}]\npublic partial class Options\n" + ValidBody);

    /// <summary>The HG0012 message for <paramref name="attribute"/>.</summary>
    private static async Task<string> AnalyzerMessage(string attribute)
    {
        var diagnostics = await AnalyzerHarness.Diagnose(Sources.Usings + attribute + "\npublic partial class Options\n" + ValidBody);
        return Assert.Single(diagnostics, d => d.Id == "HG0012").GetMessage();
    }

    /// <summary>The runtime's message for the same settings, given to a generated problem of the same method.</summary>
    private static string RuntimeMessage(Method method, Func<HypergradientSettings, HypergradientSettings> change)
    {
        Action replace = method switch
        {
            Method.ConjugateGradient => () => { var p = new TightConjugateGradient(); p.BilevelProblem.Settings = change(p.BilevelProblem.Settings); },
            Method.Neumann => () => { var p = new NeumannWithAlpha(); p.BilevelProblem.Settings = change(p.BilevelProblem.Settings); },
            Method.OptimizerSolve => () => { var p = new OptimizerSolveQuadratic(); p.BilevelProblem.Settings = change(p.BilevelProblem.Settings); },
            Method.Nystrom => () => { var p = new NystromQuadratic(); p.BilevelProblem.Settings = change(p.BilevelProblem.Settings); },
            _ => throw new ArgumentOutOfRangeException(nameof(method)),
        };
        var message = Assert.Throws<HypergradException>(replace).Message;
        // "<Problem>: <HG0012's message>."
        return message.Substring(message.IndexOf(": ", StringComparison.Ordinal) + 2).TrimEnd('.');
    }

    public static TheoryData<Method, string, Func<HypergradientSettings, HypergradientSettings>> RefusedByBoth => new()
    {
        { Method.ConjugateGradient, "Tolerance = double.PositiveInfinity", s => s with { Tolerance = double.PositiveInfinity } },
        { Method.ConjugateGradient, "Tolerance = double.NaN", s => s with { Tolerance = double.NaN } },
        { Method.ConjugateGradient, "Tolerance = -1", s => s with { Tolerance = -1 } },
        { Method.ConjugateGradient, "Iterations = 0", s => s with { Iterations = 0 } },
        { Method.ConjugateGradient, "Iterations = -1", s => s with { Iterations = -1 } },
        { Method.Neumann, "Alpha = 0", s => s with { Alpha = 0 } },
        { Method.OptimizerSolve, "Iterations = -1", s => s with { Iterations = -1 } },
        { Method.Nystrom, "Rho = 0", s => s with { Rho = 0 } },
        { Method.Nystrom, "Rank = 0", s => s with { Rank = 0 } },
        { Method.Neumann, "UnrollSteps = 0", s => s with { UnrollSteps = 0 } },
    };

    [Theory]
    [MemberData(nameof(RefusedByBoth))]
    public async Task TheRuntimeRefusesWhatTheAttributeRefusesInTheSameWords(Method method, string option, Func<HypergradientSettings, HypergradientSettings> change)
    {
        string compileTime = await AnalyzerMessage($"[Hypergradient(Method.{method}, {option})]");
        Assert.Equal(compileTime, RuntimeMessage(method, change));
    }
}
