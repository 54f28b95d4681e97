using Hypergrad.Generators.Tests.Infrastructure;

namespace Hypergrad.Generators.Tests.Analyzers;

/// <summary>HG0040 (backward() inside an objective) and HG0041 (a tracked variable disposed inside an objective).</summary>
public class ObjectiveMisuseAnalyzerTests
{
    private static Task Verify(string markup) => AnalyzerHarness.Verify(Sources.Usings + markup);

    private static string Problem(string innerBody, string outerBody = "return mse_loss(Model.call(x), y);", string extraMembers = "") => $$"""
        [Hypergradient(Method.ConjugateGradient)]
        public partial class Problem
        {
            [Inner] public Linear Model { get; } = nn.Linear(3, 1);
            [Outer] public Parameter Decay { get; } = new(zeros(1));

            [InnerObjective]
            public Tensor Train(Tensor x, Tensor y)
            {
                {{innerBody}}
            }

            [OuterObjective]
            public Tensor Validate(Tensor x, Tensor y)
            {
                {{outerBody}}
            }
            {{extraMembers}}
        }
        """;

    private const string Loss = "mse_loss(Model.call(x), y) + Decay.exp().sum() * Model.weight.pow(2).sum()";

    [Fact]
    public Task HG0040_BackwardOnTheLoss() => Verify(Problem($$"""
        var loss = {{Loss}};
        {|HG0040:loss.backward()|};
        return loss;
        """));

    [Fact]
    public Task HG0040_AutogradBackwardInTheOuterObjective() => Verify(Problem($"return {Loss};", """
        var loss = mse_loss(Model.call(x), y);
        {|HG0040:torch.autograd.backward(loss)|};
        return loss;
        """));

    [Fact]
    public Task HG0040_NotReportedInAnInnerStepOrAHelperOutsideObjectives() => Verify("""
        [Hypergradient(Method.ConjugateGradient)]
        public partial class OwnStep
        {
            [Inner] public Linear Model { get; } = nn.Linear(3, 1);
            [Outer] public Parameter Decay { get; } = new(zeros(1));
            [InnerObjective] public Tensor Train(Tensor x, Tensor y) => mse_loss(Model.call(x), y) + Decay.exp().sum() * Model.weight.pow(2).sum();
            [OuterObjective] public Tensor Validate(Tensor x, Tensor y) => mse_loss(Model.call(x), y);
            [InnerStep] public void Step(Tensor x, Tensor y) { Train(x, y).backward(); }
            public void Report(Tensor x, Tensor y) { Validate(x, y).backward(); }
        }
        """);

    [Fact]
    public Task HG0041_DisposeOfAVariableOrAModuleParameter() => Verify(Problem($$"""
        var loss = {{Loss}};
        {|HG0041:Decay.Dispose()|};
        {|HG0041:Model.weight.Dispose()|};
        return loss;
        """));

    [Fact]
    public Task HG0041_UsingDeclarationAndStatementOverAVariable() => Verify(Problem($$"""
        {|HG0041:using var decay = Decay;|}
        {|HG0041:using (Model.weight) { }|}
        return {{Loss}};
        """));

    [Fact]
    public Task HG0041_NotReportedForTemporariesComputedFromVariables() => Verify(Problem($$"""
        using var penalty = Decay.exp();
        var scaled = Model.weight * 2;
        scaled.Dispose();
        return {{Loss}} + penalty.sum();
        """));
}
