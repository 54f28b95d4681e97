using Hypergrad.Generators.Tests.Infrastructure;

namespace Hypergrad.Generators.Tests.Analyzers;

/// <summary>
/// HG0050–HG0052 (joint methods: an [InnerStep], a meta-learning initialization, SABA with a decreasing schedule) and the
/// rule table's HG0012/HG0016 on the joint methods' options.
/// </summary>
public class JointMethodAnalyzerTests
{
    private const string Members = """
            [Inner] public Linear Model { get; } = nn.Linear(3, 1);
            [Outer] public Parameter Decay { get; } = new(zeros(1));
            [InnerObjective] public Tensor Train(Tensor x, Tensor y) => mse_loss(Model.call(x), y) + Decay.exp().sum() * Model.weight.pow(2).sum();
            [OuterObjective] public Tensor Validate(Tensor x, Tensor y) => mse_loss(Model.call(x), y);
        """;

    private static Task Verify(string attribute, string extra = "") =>
        AnalyzerHarness.Verify(Sources.Usings + attribute + "\npublic partial class Joint\n{\n" + Members + extra + "\n}\n");

    [Theory]
    [InlineData("Method.Soba, AuxiliaryStepSize = 0.1, StepExponent = 0.5")]
    [InlineData("Method.Saba")]
    [InlineData("Method.MaSoba, Averaging = 0.2, Tolerance = 1e-4")]
    [InlineData("Method.Amigo, InnerSteps = 5, Iterations = 5")]
    [InlineData("Method.StocBio, InnerSteps = 5, Iterations = 20, AuxiliaryStepSize = 0.5")]
    [InlineData("Method.F2sa, InnerSteps = 3, PenaltyStart = 10, PenaltyGrowth = 0.5")]
    [InlineData("Method.Bome, InnerSteps = 10, Eta = 0.1")]
    [InlineData("Method.Pgdm, InnerSteps = 3, PenaltyStart = 10")]
    public Task Valid_joint_declarations_are_silent(string arguments) => Verify($"[Hypergradient({arguments})]");

    [Fact]
    public Task HG0050_InnerStepWithAJointMethod() => Verify("[Hypergradient(Method.Soba)]",
        "    [InnerStep] public void {|HG0050:Step|}(Tensor x, Tensor y) { }");

    [Fact]
    public Task HG0051_InitializationWithAJointMethod() => AnalyzerHarness.Verify(Sources.Usings + """
        [Hypergradient(Method.Amigo)]
        public partial class Maml
        {
            [Inner(InitializedFrom = nameof(MetaInit))] public Linear {|HG0051:Adapted|} { get; } = nn.Linear(3, 1);
            [Outer] public Linear MetaInit { get; } = nn.Linear(3, 1);
            [InnerObjective] public Tensor Support(Tensor x, Tensor y) => mse_loss(Adapted.call(x), y) + (Adapted.weight - MetaInit.weight).pow(2).sum();
            [OuterObjective] public Tensor Query(Tensor x, Tensor y) => mse_loss(Adapted.call(x), y);
        }
        """);

    [Fact]
    public Task HG0052_SabaWithADecreasingSchedule() => Verify("[Hypergradient(Method.Saba, {|HG0052:StepExponent = 0.5|})]");

    [Fact]
    public Task Saba_with_constant_steps_said_explicitly_is_silent() => Verify("[Hypergradient(Method.Saba, StepExponent = 0)]");

    [Theory]
    [InlineData("Method.Soba, {|HG0012:StepExponent = 2|}")]
    [InlineData("Method.Soba, {|HG0012:AuxiliaryStepSize = 0|}")]
    [InlineData("Method.MaSoba, {|HG0012:Averaging = 0|}")]
    [InlineData("Method.Bome, {|HG0012:InnerSteps = 0|}")]
    [InlineData("Method.F2sa, {|HG0012:PenaltyGrowth = -1|}")]
    [InlineData("Method.Pgdm, {|HG0012:PenaltyStart = 0|}")]
    public Task HG0012_InvalidJointOptions(string arguments) => Verify($"[Hypergradient({arguments})]");

    [Theory]
    [InlineData("Method.Soba, {|HG0016:Rank = 5|}")]
    [InlineData("Method.Soba, {|HG0016:UnrollSteps = 5|}")]
    [InlineData("Method.Soba, {|HG0016:InnerSteps = 5|}")]
    [InlineData("Method.Amigo, {|HG0016:PenaltyStart = 5|}")]
    [InlineData("Method.Pgdm, {|HG0016:PenaltyGrowth = 0.5|}")]
    [InlineData("Method.ConjugateGradient, {|HG0016:AuxiliaryStepSize = 0.1|}")]
    [InlineData("Method.ReverseUnroll, {|HG0016:Eta = 0.1|}")]
    public Task HG0016_OptionsTheMethodDoesNotRead(string arguments) => Verify($"[Hypergradient({arguments})]");
}
