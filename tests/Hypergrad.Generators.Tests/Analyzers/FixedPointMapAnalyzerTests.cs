using Hypergrad.Generators.Tests.Infrastructure;

namespace Hypergrad.Generators.Tests.Analyzers;

/// <summary>The diagnostics of [FixedPointMap] (equilibrium) problems, where they fire and where they must not.</summary>
public class FixedPointMapAnalyzerTests
{
    private const string State = """
            [Inner] public Tensor State { get; } = zeros(5, 4);
            [Outer] public Parameter W { get; } = new(zeros(4, 4));
            [Outer] public Parameter U { get; } = new(zeros(4, 3));

        """;

    private const string Map = "    [FixedPointMap] public Tensor Layer(Tensor z, Tensor x, Tensor y) => tanh(z.matmul(W.t()) + x.matmul(U.t()));\n";
    private const string Loss = "    [OuterObjective] public Tensor Loss(Tensor x, Tensor y) => (State.sum(1) - y).pow(2).mean();\n";

    private static Task Verify(string attribute, string body) =>
        AnalyzerHarness.Verify(Sources.Usings + attribute + "\npublic partial class Deq\n{\n" + body + "}\n");

    [Theory]
    [InlineData("Method.FixedPoint, Iterations = 50, EquilibriumIterations = 30, EquilibriumTolerance = 1e-5, EquilibriumWarmStart = true")]
    [InlineData("Method.ConjugateGradientNormal")]
    [InlineData("Method.Neumann, Alpha = 0.5")]
    [InlineData("Method.Exact")]
    public Task ValidProblemsHaveNoDiagnostics(string arguments) => Verify($"[Hypergradient({arguments})]", State + Map + Loss);

    [Fact]
    public Task MapReturningTheMapOfABatchIsValid() => Verify("[Hypergradient(Method.FixedPoint)]", State + """
            [FixedPointMap] public Func<Tensor, Tensor> Layer(Tensor x, Tensor y) { var injected = x.matmul(U.t()); return z => tanh(z.matmul(W.t()) + injected); }
        """ + Loss);

    [Fact]
    public Task HG0018_MapAndInnerObjective() => Verify("[Hypergradient(Method.FixedPoint)]", State + Map + Loss +
        "    [InnerObjective] public Tensor {|HG0018:Train|}(Tensor x, Tensor y) => State.sum();\n");

    [Fact]
    public Task HG0018_MapAndInnerStep() => Verify("[Hypergradient(Method.FixedPoint)]", State + Map + Loss +
        "    [InnerStep] public void {|HG0018:Step|}(Tensor x, Tensor y) { }\n");

    [Theory]
    [InlineData("public Tensor {|HG0019:Layer|}(Tensor x, Tensor y) => tanh(x.matmul(W.t()) + y.matmul(U.t()))")]          // no state: x is taken as z, so the batch is (y) alone
    [InlineData("public double {|HG0019:Layer|}(Tensor z, Tensor x, Tensor y) => tanh(z.matmul(W.t()) + x.matmul(U.t())).sum().item<double>()")] // neither Φ(z) nor a map
    [InlineData("public Func<Tensor, double> {|HG0019:Layer|}(Tensor x, Tensor y) => z => tanh(z.matmul(W.t()) + x.matmul(U.t())).sum().item<double>()")] // a map to the wrong type
    [InlineData("public Tensor {|HG0019:Layer|}(Tensor z, Tensor x) => tanh(z.matmul(W.t()) + x.matmul(U.t()))")]           // the loss takes another batch
    public Task HG0019_WrongSignature(string map) => Verify("[Hypergradient(Method.FixedPoint)]", State + "    [FixedPointMap] " + map + ";\n" + Loss);

    [Fact]
    public Task HG0019_StateMustBeOneTensor() => Verify("[Hypergradient(Method.FixedPoint)]", State +
        "    [Inner] public Tensor Other { get; } = zeros(5, 4);\n" +
        "    [FixedPointMap] public Tensor {|HG0019:Layer|}(Tensor z, Tensor x, Tensor y) => tanh(z.matmul(W.t()) + x.matmul(U.t()));\n" + Loss);

    [Theory]
    [InlineData("ConjugateGradient")]
    [InlineData("Nystrom")]
    [InlineData("OptimizerSolve")]
    [InlineData("ReverseUnroll")]
    public Task HG0020_MethodThatNeedsASymmetricMatrixOrInnerSteps(string method) =>
        Verify($"[{{|HG0020:Hypergradient(Method.{method})|}}]", State + Map + Loss);

    [Fact]
    public Task HG0016_EquilibriumOptionWithoutMap() => AnalyzerHarness.Verify(Sources.Usings + """
        [Hypergradient(Method.ConjugateGradient, {|HG0016:EquilibriumTolerance = 1e-5|})]
        public partial class Ridge
        {
            [Inner] public Linear Model { get; } = nn.Linear(3, 1);
            [Outer] public Parameter Decay { get; } = new(zeros(1));
            [InnerObjective] public Tensor Train(Tensor x, Tensor y) => mse_loss(Model.call(x), y) + Decay.exp().sum() * Model.weight.pow(2).sum();
            [OuterObjective] public Tensor Validate(Tensor x, Tensor y) => mse_loss(Model.call(x), y);
        }
        """);

    [Theory]
    [InlineData("EquilibriumIterations = 0")]
    [InlineData("EquilibriumTolerance = -1e-5")]
    public Task HG0012_InvalidEquilibriumOption(string option) =>
        Verify($"[Hypergradient(Method.FixedPoint, {{|HG0012:{option}|}})]", State + Map + Loss);

    [Fact]
    public Task HG0010_NoGradInsideTheMap() => Verify("[Hypergradient(Method.FixedPoint)]", State + """
            [FixedPointMap] public Tensor Layer(Tensor z, Tensor x, Tensor y) { using var g = {|HG0010:no_grad()|}; return tanh(z.matmul(W.t()) + x.matmul(U.t())); }
        """ + Loss);
}
