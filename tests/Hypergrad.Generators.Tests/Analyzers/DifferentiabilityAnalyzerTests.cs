using Hypergrad.Generators.Tests.Infrastructure;

namespace Hypergrad.Generators.Tests.Analyzers;

/// <summary>HG0007–HG0011: code that cuts the autograd graph, and outer variables no objective uses.</summary>
public class DifferentiabilityAnalyzerTests
{
    private static Task Verify(string markup) => AnalyzerHarness.Verify(Sources.Usings + markup);

    private static string Problem(string method, string innerBody, string extraMembers = "") => $$"""
        [Hypergradient(Method.{{method}})]
        public partial class Problem
        {
            [Inner] public Linear Model { get; } = nn.Linear(3, 1);
            [Outer] public Parameter Decay { get; } = new(zeros(1));
            private readonly Tensor data = ones(4, 3);

            [InnerObjective]
            public Tensor Train(Tensor x, Tensor y)
            {
                {{innerBody}}
            }

            [OuterObjective] public Tensor Validate(Tensor x, Tensor y) => mse_loss(Model.call(x), y);
            {{extraMembers}}
        }
        """;

    private const string Loss = "return mse_loss(Model.call(x), y) + Decay.exp().sum() * Model.weight.pow(2).sum();";

    [Fact]
    public Task CleanObjectivesHaveNoDiagnostics() => Verify(Problem("Nystrom", Loss));

    [Fact]
    public Task HG0007_OuterVariableUsedByNeitherObjective() => Verify("""
        [Hypergradient(Method.Nystrom)]
        public partial class Unused
        {
            [Inner] public Linear Model { get; } = nn.Linear(3, 1);
            [Outer] public Parameter {|HG0007:Decay|} { get; } = new(zeros(1));
            [InnerObjective] public Tensor Train(Tensor x, Tensor y) => mse_loss(Model.call(x), y);
            [OuterObjective] public Tensor Validate(Tensor x, Tensor y) => mse_loss(Model.call(x), y);
        }
        """);

    [Fact]
    public Task HG0007_NotReportedWhenUsedThroughAHelperOrProperty() => Verify("""
        [Hypergradient(Method.Nystrom)]
        public partial class ThroughHelpers
        {
            [Inner] public Linear Model { get; } = nn.Linear(3, 1);
            [Outer] public Parameter Decay { get; } = new(zeros(1));
            [Outer] public Parameter Scale { get; } = new(ones(1));
            private Tensor Penalty => Decay.exp().sum() * Model.weight.pow(2).sum();
            private Tensor Scaled(Tensor x) => Model.call(x) * Scale;
            [InnerObjective] public Tensor Train(Tensor x, Tensor y) => mse_loss(Scaled(x), y) + Penalty;
            [OuterObjective] public Tensor Validate(Tensor x, Tensor y) => mse_loss(Model.call(x), y);
        }
        """);

    [Fact]
    public Task HG0008_BuiltInOptimizerInAnObjective() => Verify(Problem("Nystrom", """
        var optimizer = {|HG0008:torch.optim.SGD(Model.parameters(), 0.1)|};
                {|HG0008:optimizer.step()|};
                
        """ + Loss));

    [Fact]
    public Task HG0008_BuiltInOptimizerInAnyMethodOfAnIterativeClass() => Verify(Problem("ReverseUnroll", Loss, """
        public void Adapt(Tensor x, Tensor y) { var adam = {|HG0008:torch.optim.Adam(Model.parameters(), lr: 0.01)|}; }
        """));

    [Fact]
    public Task HG0008_NotReportedOutsideDifferentiatedCodeOfAnImplicitClass() => Verify(Problem("Nystrom", Loss, """
        public void Pretrain() { var adam = torch.optim.Adam(Model.parameters(), lr: 0.01); adam.step(); }
        """));

    [Fact]
    public Task HG0009_DetachOnATrackedVariable() => Verify(Problem("ConjugateGradient", """
        var frozen = {|HG0009:Model.weight.detach()|};
                var decay = {|HG0009:Decay.detach()|};
                var constant = data.detach();
                return mse_loss(Model.call(x), y) + (decay * frozen.sum()).sum() + constant.sum() + Decay.sum();
        """));

    [Fact]
    public Task HG0010_NoGradInAnObjective() => Verify(Problem("ConjugateGradient", """
        using (var off = {|HG0010:torch.no_grad()|}) { }
                
        """ + Loss));

    [Fact]
    public Task HG0011_InPlaceMethodOnATrackedVariable() => Verify(Problem("ConjugateGradient", """
        {|HG0011:Model.weight.mul_(2)|};
                {|HG0011:Decay.clamp_(0, 1)|};
                var local = ones(3);
                local.add_(1);
                
        """ + Loss));

    [Fact]
    public Task CodeInLambdasAndLocalFunctionsOfAnObjectiveCounts() => Verify("""
        [Hypergradient(Method.ConjugateGradient)]
        public partial class Nested
        {
            [Inner] public Linear Model { get; } = nn.Linear(3, 1);
            [Outer] public Parameter Decay { get; } = new(zeros(1));

            [InnerObjective]
            public Tensor Train(Tensor x, Tensor y)
            {
                Func<Tensor> penalty = () => Decay.exp().sum() * {|HG0009:Model.weight.detach()|}.pow(2).sum();
                Tensor Fit() => mse_loss(Model.call(x), y);
                return Fit() + penalty();
            }

            [OuterObjective] public Tensor Validate(Tensor x, Tensor y) => mse_loss(Model.call(x), y);
        }
        """);

    [Fact]
    public Task HG0007_NotReportedWhenUsedInsideALambda() => Verify("""
        [Hypergradient(Method.ConjugateGradient)]
        public partial class InLambda
        {
            [Inner] public Linear Model { get; } = nn.Linear(3, 1);
            [Outer] public Parameter Decay { get; } = new(zeros(1));

            [InnerObjective]
            public Tensor Train(Tensor x, Tensor y)
            {
                Func<Tensor> penalty = () => Decay.exp().sum() * Model.weight.pow(2).sum();
                return mse_loss(Model.call(x), y) + penalty();
            }

            [OuterObjective] public Tensor Validate(Tensor x, Tensor y) => mse_loss(Model.call(x), y);
        }
        """);

    [Fact]
    public Task InPlaceOnlyMattersInDifferentiatedCode() => Verify(Problem("ConjugateGradient", Loss, """
        public void Reset() { using var off = torch.no_grad(); Model.weight.zero_(); Decay.detach(); }
        """));
}
