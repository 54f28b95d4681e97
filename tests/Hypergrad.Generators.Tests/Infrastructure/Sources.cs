namespace Hypergrad.Generators.Tests.Infrastructure;

/// <summary>User code shared by the tests: the README's weight-decay problem and variations of it.</summary>
internal static class Sources
{
    public const string Usings = """
        using System;
        using Hypergrad;
        using TorchSharp;
        using TorchSharp.Modules;
        using static TorchSharp.torch;
        using static TorchSharp.torch.nn.functional;

        """;

    /// <summary>docs/dsl.md's opening example (weight-decay tuning), written as a user would.</summary>
    public const string WeightDecay = Usings + """
        namespace Samples;

        [Hypergradient(Method.Nystrom, Rank = 5, Rho = 0.1)]
        public partial class WeightDecayTuning(int features)
        {
            [Inner] public Linear Model { get; } = nn.Linear(features, 1, hasBias: false);
            [Outer] public Parameter LogDecay { get; } = new(zeros(features));

            [InnerObjective]
            public Tensor TrainLoss(Tensor x, Tensor y) =>
                binary_cross_entropy_with_logits(Model.call(x).squeeze(-1), y)
                + 0.5 * (Model.weight.pow(2).squeeze(0) * LogDecay.exp()).sum();

            [OuterObjective]
            public Tensor ValidationLoss(Tensor x, Tensor y) =>
                binary_cross_entropy_with_logits(Model.call(x).squeeze(-1), y);
        }
        """;

    /// <summary>
    /// Every shape the generator adapts: a nested class in the global namespace, tensor and parameter fields,
    /// a single-tensor batch, an objective without a batch, an [InnerStep], an unrolled method with options.
    /// </summary>
    public const string Shapes = Usings + """
        public static partial class Container
        {
            [Hypergradient(Method.ConjugateGradient, Iterations = 20, Tolerance = 1e-10, UnrollSteps = 5)]
            public partial class Quadratic
            {
                private readonly Tensor target = ones(3);
                [Inner] public Tensor W = zeros(3).requires_grad_(true);
                [Outer] public Parameter Lambda = new(ones(3));

                [InnerObjective] public Tensor Inner(Tensor x) => 0.5 * (W - Lambda * x).pow(2).sum();
                [OuterObjective] public Tensor Outer() => 0.5 * (W - target).pow(2).sum();
                [InnerStep] public void Step(Tensor x) { }
            }
        }

        [Hypergradient(Method.TruncatedUnroll, Truncation = 2, UnrollSteps = 4)]
        public partial class Unrolled
        {
            [Inner] public Sequential Net { get; } = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 1));
            [Outer] public Parameter Scale { get; } = new(ones(1));

            [InnerObjective] public Tensor Fit(Tensor x, Tensor y, Tensor weight) => (weight * (Net.call(x) * Scale - y).pow(2)).mean();
            [OuterObjective] public Tensor Check(Tensor x, Tensor y) => (Net.call(x) - y).pow(2).mean();
        }
        """;

    /// <summary>A BOAT-style composition with its options.</summary>
    public const string Composition = Usings + """
        namespace Samples;

        [Hypergradient(Method.ReverseUnroll, Operations = new[] { Operation.GradientDescentAggregation, Operation.ReverseUnroll },
            AggregationAlpha = 0.3, AggregationDecay = 0.9, UnrollSteps = 4)]
        public partial class Aggregated
        {
            [Inner] public Linear Model { get; } = nn.Linear(3, 1);
            [Outer] public Parameter LogDecay { get; } = new(zeros(3));
            [InnerObjective] public Tensor Train(Tensor x, Tensor y) => (Model.call(x) - y).pow(2).mean() + (Model.weight.pow(2) * LogDecay.exp()).sum();
            [OuterObjective] public Tensor Validate(Tensor x, Tensor y) => (Model.call(x) - y).pow(2).mean();
        }
        """;

    /// <summary>Meta-learning: the adapted model reset to its [Outer] initialization (MAML by initialization unroll).</summary>
    public const string MetaLearning = Usings + """
        namespace Samples.Meta;

        [Hypergradient(Method.ReverseUnroll, Operations = new[] { Operation.InitializationUnroll }, UnrollSteps = 5)]
        public partial class Maml
        {
            [Inner(InitializedFrom = nameof(MetaInit))] public Sequential Adapted { get; } = nn.Sequential(nn.Linear(1, 40), nn.ReLU(), nn.Linear(40, 1));
            [Outer] public Sequential MetaInit { get; } = nn.Sequential(nn.Linear(1, 40), nn.ReLU(), nn.Linear(40, 1));
            [InnerObjective] public Tensor Support(Tensor x, Tensor y) => mse_loss(Adapted.call(x), y);
            [OuterObjective] public Tensor Query(Tensor x, Tensor y) => mse_loss(Adapted.call(x), y);
        }
        """;

    /// <summary>
    /// Equilibrium problems (deep equilibrium models): a [FixedPointMap] in both forms, Tensor Map(z, batch) and
    /// Func&lt;Tensor, Tensor&gt; Map(batch), with the equilibrium options.
    /// </summary>
    public const string FixedPointMaps = Usings + """
        namespace Samples.Equilibrium;

        [Hypergradient(Method.FixedPoint, Iterations = 50, Tolerance = 1e-5, EquilibriumIterations = 80, EquilibriumTolerance = 1e-5, EquilibriumWarmStart = true)]
        public partial class Deq
        {
            [Inner] public Tensor State { get; } = zeros(10, 4);
            [Outer] public Linear Injection { get; } = nn.Linear(3, 4);
            [Outer] public Parameter Recurrent { get; } = new(zeros(4, 4));
            [Outer] public Linear Head { get; } = nn.Linear(4, 2);

            [FixedPointMap] public Tensor Layer(Tensor z, Tensor x, Tensor y) => tanh(z.matmul(Recurrent.t()) + Injection.call(x));
            [OuterObjective] public Tensor Loss(Tensor x, Tensor y) => cross_entropy(Head.call(State), y);
        }

        [Hypergradient(Method.ConjugateGradientNormal)]
        public partial class DeqPerBatch
        {
            [Inner] public Tensor State = zeros(10, 4);
            [Outer] public Parameter Recurrent = new(zeros(4, 4));
            [Outer] public Parameter Injection = new(zeros(4, 3));

            [FixedPointMap]
            public Func<Tensor, Tensor> Layer(Tensor x)
            {
                var injected = x.matmul(Injection.t());
                return z => tanh(z.matmul(Recurrent.t()) + injected);
            }

            [OuterObjective] public Tensor Loss(Tensor x) => State.pow(2).mean();
        }
        """;

    /// <summary>A single-loop problem (docs/methods.md, "Joint methods"): the attribute is the only thing that differs from an implicit one.</summary>
    public const string SingleLoop = Usings + """
        namespace Samples;

        [Hypergradient(Method.Soba, AuxiliaryStepSize = 0.05, StepExponent = 0.5)]
        public partial class SingleLoopDecay(int features)
        {
            [Inner] public Linear Model { get; } = nn.Linear(features, 1, hasBias: false);
            [Outer] public Parameter LogDecay { get; } = new(zeros(features));

            [InnerObjective]
            public Tensor TrainLoss(Tensor x, Tensor y) =>
                binary_cross_entropy_with_logits(Model.call(x).squeeze(-1), y)
                + 0.5 * (Model.weight.pow(2).squeeze(0) * LogDecay.exp()).sum();

            [OuterObjective]
            public Tensor ValidationLoss(Tensor x, Tensor y) =>
                binary_cross_entropy_with_logits(Model.call(x).squeeze(-1), y);
        }
        """;
}
