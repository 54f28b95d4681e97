using Hypergrad.Generators.Tests.Infrastructure;

namespace Hypergrad.Generators.Tests.Analyzers;

/// <summary>HG0031: a differentiable optimizer built from an [Outer] member evaluated once (and the forms that are fine).</summary>
public class OptimizerHyperparameterAnalyzerTests
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
    public Task HG0031_OptimizerBuiltOnceFromAnOuterExpression() => Verify(LearnedRate + """
        public class Training
        {
            private readonly LearnedRate problem = new();
            private readonly DifferentiableOptimizer inField;
            public Training()
            {
                inField = new DifferentiableSgd({|HG0031:problem.LogLr.exp()|});
                var momentum = new DifferentiableSgd(0.1, momentum: {|HG0031:problem.LogLr.sigmoid()|});
                var adam = new DifferentiableAdam(learningRate: {|HG0031:problem.LogLr * 0.5|});
                var rate = problem.LogLr.exp();
                var throughLocal = new DifferentiableSgd({|HG0031:rate|});
            }
        }
        """);

    [Fact]
    public Task HG0031_NotReportedForThePerStepFormsTheVariableItselfOrConstants() => Verify(LearnedRate + """
        public class Training
        {
            private readonly LearnedRate problem = new();
            public DifferentiableOptimizer PerStep() => new DifferentiableSgd(() => problem.LogLr.exp());
            public DifferentiableOptimizer PerStepMomentum() => new DifferentiableSgd(0.1, momentum: Hyperparameter.PerStep(() => problem.LogLr.sigmoid()));
            public DifferentiableOptimizer Leaf() => new DifferentiableSgd(problem.LogLr);
            public DifferentiableOptimizer Constant() => new DifferentiableAdam(0.01, weightDecay: 1e-4);
            public DifferentiableOptimizer NotOuter() => new DifferentiableSgd(ones(1).exp());
            public DifferentiableOptimizer LocalOfTheVariableItself() { var leaf = problem.LogLr; return new DifferentiableSgd(leaf); }
            public DifferentiableOptimizer LocalAssignedTwice(bool fixedRate)
            {
                var rate = problem.LogLr.exp();
                if (fixedRate) rate = ones(1);
                return new DifferentiableSgd(rate);
            }
        }
        """);
}
