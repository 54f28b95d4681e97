using Hypergrad.Generators.Tests.Infrastructure;

namespace Hypergrad.Generators.Tests.Analyzers;

/// <summary>HG0007 without false positives: outer variables used through optimizer hyperparameters, lambda fields, closures and base classes.</summary>
public class UnusedOuterVariableAnalyzerTests
{
    private static Task Verify(string markup) => AnalyzerHarness.Verify(Sources.Usings + "using Hypergrad.Optimizers;\n" + markup);

    private const string LearnedRate = """
        [Hypergradient(Method.ReverseUnroll)]
        public partial class LearnedRate
        {
            [Inner] public Linear Model { get; } = nn.Linear(3, 1);
            [Outer] public Parameter LogLr { get; } = new(zeros(1));
            [InnerObjective] public Tensor Train(Tensor x, Tensor y) => mse_loss(Model.call(x), y);
            [OuterObjective] public Tensor Validate(Tensor x, Tensor y) => mse_loss(Model.call(x), y);
        }

        """;

    [Fact]
    public Task HG0007_NotReportedForAnOuterVariableUsedThroughAnOptimizerHyperparameter() => Verify(LearnedRate + """
        public static class Training
        {
            public static Hypergrad.Solving.BilevelOptions Options(LearnedRate problem) => new()
            {
                InnerOptimizer = new DifferentiableSgd(() => problem.LogLr.exp()),
                OuterOptimizer = torch.optim.SGD(new[] { problem.LogLr }, 0.1),
            };
        }
        """);

    [Fact]
    public Task HG0007_NotReportedForAnOuterVariableUsedByAnOptimizerSubclass() => Verify(LearnedRate + """
        public sealed class ScaledSgd(LearnedRate problem) : DifferentiableOptimizer
        {
            protected override string[] SlotNames => [];
            protected override Tensor Update(Tensor parameter, Tensor gradient, Tensor[] slots, int step) => parameter - problem.LogLr.exp() * gradient;
        }
        """);

    [Fact]
    public Task HG0007_StillReportedWhenTheOptimizerUsesAnotherOuterVariable() => Verify("""
        [Hypergradient(Method.ReverseUnroll)]
        public partial class TwoRates
        {
            [Inner] public Linear Model { get; } = nn.Linear(3, 1);
            [Outer] public Parameter LogLr { get; } = new(zeros(1));
            [Outer] public Parameter {|HG0007:Forgotten|} { get; } = new(zeros(1));
            [InnerObjective] public Tensor Train(Tensor x, Tensor y) => mse_loss(Model.call(x), y);
            [OuterObjective] public Tensor Validate(Tensor x, Tensor y) => mse_loss(Model.call(x), y);
            public DifferentiableOptimizer Optimizer => new DifferentiableSgd(() => LogLr.exp());
        }
        """);

    [Fact]
    public Task HG0007_NotReportedForALambdaFieldAssignedInTheConstructor() => Verify("""
        [Hypergradient(Method.ConjugateGradient)]
        public partial class LambdaField
        {
            private readonly Func<Tensor> penalty;
            private Func<Tensor> Scale { get; }
            public LambdaField()
            {
                penalty = () => Decay.exp().sum() * Model.weight.pow(2).sum();
                Scale = () => Factor.exp();
            }
            [Inner] public Linear Model { get; } = nn.Linear(3, 1);
            [Outer] public Parameter Decay { get; } = new(zeros(1));
            [Outer] public Parameter Factor { get; } = new(zeros(1));
            [InnerObjective] public Tensor Train(Tensor x, Tensor y) => mse_loss(Model.call(x) * Scale(), y) + penalty();
            [OuterObjective] public Tensor Validate(Tensor x, Tensor y) => mse_loss(Model.call(x), y);
        }
        """);

    [Fact]
    public Task HG0007_NotReportedForAClosureBuiltByAHelper() => Verify("""
        [Hypergradient(Method.ConjugateGradient)]
        public partial class Closure
        {
            [Inner] public Linear Model { get; } = nn.Linear(3, 1);
            [Outer] public Parameter Decay { get; } = new(zeros(1));
            private Func<Tensor, Tensor> Penalty() { var decay = Decay; return w => decay.exp().sum() * w.pow(2).sum(); }
            [InnerObjective] public Tensor Train(Tensor x, Tensor y) => mse_loss(Model.call(x), y) + Penalty()(Model.weight);
            [OuterObjective] public Tensor Validate(Tensor x, Tensor y) => mse_loss(Model.call(x), y);
        }
        """);

    [Fact]
    public Task HG0007_ReportedForAnUnusedOuterVariableDeclaredInABaseClass() => Verify("""
        public abstract class TunedBase
        {
            [Outer] public Parameter {|HG0007:Decay|} { get; } = new(zeros(1));
        }

        [Hypergradient(Method.Nystrom)]
        public partial class Derived : TunedBase
        {
            [Inner] public Linear Model { get; } = nn.Linear(3, 1);
            [InnerObjective] public Tensor Train(Tensor x, Tensor y) => mse_loss(Model.call(x), y);
            [OuterObjective] public Tensor Validate(Tensor x, Tensor y) => mse_loss(Model.call(x), y);
        }
        """);

    [Fact]
    public Task HG0007_NotReportedForABaseClassOuterVariableTheObjectivesUse() => Verify("""
        public abstract class TunedBase
        {
            [Outer] public Parameter Decay { get; } = new(zeros(1));
        }

        [Hypergradient(Method.Nystrom)]
        public partial class Derived : TunedBase
        {
            [Inner] public Linear Model { get; } = nn.Linear(3, 1);
            [InnerObjective] public Tensor Train(Tensor x, Tensor y) => mse_loss(Model.call(x), y) + Decay.exp().sum() * Model.weight.pow(2).sum();
            [OuterObjective] public Tensor Validate(Tensor x, Tensor y) => mse_loss(Model.call(x), y);
        }
        """);

    [Fact]
    public Task HG0007_FollowsObjectivesAndHelpersDeclaredInABaseClass() => Verify("""
        public abstract class RegressionBase
        {
            [Inner] public Linear Model { get; } = nn.Linear(3, 1);
            [Outer] public Parameter Decay { get; } = new(zeros(1));
            [Outer] public Parameter {|HG0007:Unused|} { get; } = new(zeros(1));
            protected Tensor Penalty() => Decay.exp().sum() * Model.weight.pow(2).sum();
            [InnerObjective] public Tensor Train(Tensor x, Tensor y) => mse_loss(Model.call(x), y) + Penalty();
            [OuterObjective] public Tensor Validate(Tensor x, Tensor y) => mse_loss(Model.call(x), y);
        }

        [Hypergradient(Method.Nystrom)]
        public partial class Derived : RegressionBase { }
        """);

    [Fact]
    public Task HG0007_FollowsAVirtualHelperIntoTheOverride() => Verify("""
        public abstract class WithPenalty
        {
            protected virtual Tensor Penalty() => zeros(1).sum();
        }

        [Hypergradient(Method.Nystrom)]
        public partial class Overriding : WithPenalty
        {
            [Inner] public Linear Model { get; } = nn.Linear(3, 1);
            [Outer] public Parameter Decay { get; } = new(zeros(1));
            protected override Tensor Penalty() => Decay.exp().sum() * Model.weight.pow(2).sum();
            [InnerObjective] public Tensor Train(Tensor x, Tensor y) => mse_loss(Model.call(x), y) + Penalty();
            [OuterObjective] public Tensor Validate(Tensor x, Tensor y) => mse_loss(Model.call(x), y);
        }
        """);
}
