using Hypergrad.Generators.Tests.Infrastructure;

namespace Hypergrad.Generators.Tests.Analyzers;

/// <summary>HG0008's code fix: a built-in optimizer becomes the runtime's differentiable counterpart.</summary>
public class CodeFixTests
{
    private static string Problem(string statement) => Sources.Usings + $$"""
        using Hypergrad.Optimizers;

        [Hypergradient(Method.ReverseUnroll)]
        public partial class Problem
        {
            [Inner] public Linear Model { get; } = nn.Linear(3, 1);
            [Outer] public Parameter Decay { get; } = new(zeros(1));

            [InnerObjective] public Tensor Train(Tensor x, Tensor y) => mse_loss(Model.call(x), y) + Decay.sum();
            [OuterObjective] public Tensor Validate(Tensor x, Tensor y) => mse_loss(Model.call(x), y);

            public object Optimizer() => {{statement}};
        }
        """;

    [Theory]
    [InlineData("torch.optim.SGD(Model.parameters(), 0.1, momentum: 0.9)", "new DifferentiableSgd(learningRate: 0.1, momentum: 0.9)")]
    [InlineData("torch.optim.SGD(Model.parameters(), learningRate: 0.1, weight_decay: 1e-4, nesterov: false)", "new DifferentiableSgd(learningRate: 0.1, weightDecay: 1e-4, nesterov: false)")]
    // TorchSharp.Modules (with its own Adam) is in scope too: the counterpart's simple name does not clash with it.
    [InlineData("torch.optim.Adam(Model.parameters(), 0.01, 0.8, 0.99, 1e-7, 0.5)", "new DifferentiableAdam(learningRate: 0.01, beta1: 0.8, beta2: 0.99, eps: 1e-7, weightDecay: 0.5)")]
    [InlineData("torch.optim.Adam(Model.parameters(), amsgrad: false)", "new DifferentiableAdam(amsgrad: false)")]
    [InlineData("torch.optim.Adagrad(Model.parameters(), lr_decay: 0.1)", "new DifferentiableAdaGrad(learningRateDecay: 0.1)")]
    [InlineData("torch.optim.RMSProp(Model.parameters(), lr: 0.1, centered: true)", "new DifferentiableRmsProp(learningRate: 0.1, centered: true)")]
    public async Task ReplacesTheOptimizerByItsDifferentiableCounterpart(string before, string after)
    {
        string fixedSource = (await AnalyzerHarness.ApplyOptimizerFix(Problem(before)))!;
        Assert.NotNull(fixedSource);
        Assert.Equal(Problem(after), fixedSource);

        // The fixed code compiles and no longer has HG0008.
        var diagnostics = await AnalyzerHarness.Diagnose(fixedSource);
        Assert.DoesNotContain(diagnostics, d => d.Id == "HG0008");
    }

    [Fact]
    public async Task OffersNoFixWithoutACounterpart()
    {
        string source = Problem("torch.optim.LBFGS(Model.parameters())");
        var diagnostics = await AnalyzerHarness.Diagnose(source);
        Assert.Contains(diagnostics, d => d.Id == "HG0008");
        Assert.Null(await AnalyzerHarness.ApplyOptimizerFix(source));
    }
}
