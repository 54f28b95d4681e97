using Hypergrad.Generators.Tests.Infrastructure;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Hypergrad.Generators.Tests.Analyzers;

/// <summary>Each declaration diagnostic, where it fires and where it must not.</summary>
public class DeclarationAnalyzerTests
{
    /// <summary>A valid problem body; tests vary one thing at a time.</summary>
    private const string ValidBody = """
        {
            [Inner] public Linear Model { get; } = nn.Linear(3, 1);
            [Outer] public Parameter Decay { get; } = new(zeros(1));
            [InnerObjective] public Tensor Train(Tensor x, Tensor y) => mse_loss(Model.call(x), y) + Decay.exp().sum() * Model.weight.pow(2).sum();
            [OuterObjective] public Tensor Validate(Tensor x, Tensor y) => mse_loss(Model.call(x), y);
        }
        """;

    private static Task Verify(string markup) => AnalyzerHarness.Verify(Sources.Usings + markup);

    [Fact]
    public Task ValidProblemHasNoDiagnostics() => Verify("[Hypergradient(Method.ConjugateGradient, Iterations = 10, Tolerance = 1e-6)]\npublic partial class Valid\n" + ValidBody);

    [Fact]
    public Task ClassWithoutAttributeGetsOnlyHG0023() => Verify("public class Plain\n" + System.Text.RegularExpressions.Regex.Replace(
        ValidBody, @"\[(Inner|Outer|InnerObjective|OuterObjective)\]", "[{|HG0023:$1|}]"));

    [Fact]
    public Task HG0001_ClassNotPartial() => Verify("[Hypergradient(Method.Nystrom)]\npublic class {|HG0001:NotPartial|}\n" + ValidBody);

    [Fact]
    public Task HG0001_ContainingTypeNotPartial() => Verify("""
        public class Outer
        {
            [Hypergradient(Method.Nystrom)]
            public partial class {|HG0001:Problem|}
        """ + ValidBody + "\n}");

    [Fact]
    public Task HG0002_MissingOuterObjective() => Verify("""
        [Hypergradient(Method.Neumann)]
        public partial class {|HG0002:NoOuter|}
        {
            [Inner] public Tensor W = zeros(2).requires_grad_(true);
            [Outer] public Tensor L = zeros(2).requires_grad_(true);
            [InnerObjective] public Tensor G() => (W * L).sum();
        }
        """);

    [Fact]
    public Task HG0002_MissingInnerObjective() => Verify("""
        [Hypergradient(Method.Neumann)]
        public partial class {|HG0002:NoInner|}
        {
            [Inner] public Tensor W = zeros(2).requires_grad_(true);
            [Outer] public Tensor L = zeros(2).requires_grad_(true);
            [OuterObjective] public Tensor F() => (W * L).sum();
        }
        """);

    [Fact]
    public Task HG0003_DuplicateObjective() => Verify("""
        [Hypergradient(Method.Neumann)]
        public partial class Twice
        {
            [Inner] public Tensor W = zeros(2).requires_grad_(true);
            [Outer] public Tensor L = zeros(2).requires_grad_(true);
            [InnerObjective] public Tensor G() => (W * L).sum();
            [InnerObjective] public Tensor {|HG0003:G2|}() => (W * L).sum();
            [OuterObjective] public Tensor F() => W.sum();
        }
        """);

    [Fact]
    public Task HG0004_ObjectiveNotReturningTensor() => Verify("""
        [Hypergradient(Method.Neumann)]
        public partial class Scalar
        {
            [Inner] public Tensor W = zeros(2).requires_grad_(true);
            [Outer] public Tensor L = zeros(2).requires_grad_(true);
            [InnerObjective] public Tensor G() => (W * L).sum();
            [OuterObjective] public double {|HG0004:F|}() => W.sum().item<double>() + L.sum().item<double>();
        }
        """);

    [Fact]
    public Task HG0005_UnsupportedVariableType() => Verify("""
        [Hypergradient(Method.Neumann)]
        public partial class Doubles
        {
            [Inner] public Tensor W = zeros(2).requires_grad_(true);
            [Outer] public double {|HG0005:Rate|} = 0.1;
            [Outer] public Tensor L = zeros(2).requires_grad_(true);
            [InnerObjective] public Tensor G() => (W * L).sum() * Rate;
            [OuterObjective] public Tensor F() => W.sum();
        }
        """);

    [Fact]
    public Task HG0006_NoInnerAndNoOuterVariables() => Verify("""
        [Hypergradient(Method.Neumann)]
        public partial class {|HG0006:{|HG0006:Empty|}|}
        {
            public Tensor W = zeros(2).requires_grad_(true);
            [InnerObjective] public Tensor G() => W.sum();
            [OuterObjective] public Tensor F() => W.sum();
        }
        """);

    [Theory]
    [InlineData("Rank = 0", "Nystrom")]
    [InlineData("Rank = -3", "Nystrom")]
    [InlineData("Rho = -0.5", "Nystrom")]
    [InlineData("Iterations = 0", "ConjugateGradient")]
    [InlineData("Tolerance = 0", "ConjugateGradient")]
    [InlineData("Alpha = -1", "Neumann")]
    [InlineData("UnrollSteps = 0", "ReverseUnroll")]
    [InlineData("Truncation = 0", "TruncatedUnroll")]
    [InlineData("SketchRefresh = 0", "NystromConjugateGradient")]
    [InlineData("Sampling = (NystromSampling)7", "Nystrom")]
    public Task HG0012_InvalidOption(string option, string method) =>
        Verify($"[Hypergradient(Method.{method}, {{|HG0012:{option}|}})]\npublic partial class Options\n" + ValidBody);

    [Fact]
    public Task HG0012_TruncationNotBelowUnrollSteps() =>
        Verify("[Hypergradient(Method.TruncatedUnroll, {|HG0012:Truncation = 5|}, UnrollSteps = 5)]\npublic partial class Options\n" + ValidBody);

    [Theory]
    [InlineData("Rank = 1", "Nystrom")]
    [InlineData("Rho = 0", "Nystrom")]
    [InlineData("Iterations = 1, Tolerance = 1e-12", "ConjugateGradient")]
    [InlineData("Alpha = 0.5, Iterations = 100", "Neumann")]
    [InlineData("Truncation = 3, UnrollSteps = 5", "TruncatedUnroll")]
    [InlineData("Rank = 20, Sampling = NystromSampling.Gaussian, SketchRefresh = 5, Tolerance = 1e-8", "NystromConjugateGradient")]
    [InlineData("Alpha = 0.1", "FixedPoint")]
    public Task HG0012_ValidOptionsAreAccepted(string options, string method) =>
        Verify($"[Hypergradient(Method.{method}, {options})]\npublic partial class Options\n" + ValidBody);

    [Theory]
    [InlineData("Operation.ReverseUnroll, Operation.ConjugateGradient")]          // RAD comes last, alone
    [InlineData("Operation.ReverseUnroll, Operation.GradientDescentAggregation")] // stage order
    [InlineData("Operation.DynamicInitialization, Operation.InitializationUnroll")] // DI and IAD exclude each other
    [InlineData("Operation.GradientDescentAggregation")]                          // no hypergradient operation
    public Task HG0013_InvalidComposition(string operations) =>
        Verify($"[Hypergradient(Method.ReverseUnroll, {{|HG0013:Operations = new[] {{ {operations} }}|}})]\npublic partial class Composed\n" + ValidBody);

    [Fact]
    public Task HG0013_CompositionWithAnImplicitMethod() =>
        Verify("[Hypergradient(Method.ConjugateGradient, {|HG0013:Operations = new[] { Operation.ReverseUnroll }|})]\npublic partial class Composed\n" + ValidBody);

    [Theory]
    [InlineData("Operation.GradientDescentAggregation, Operation.ReverseUnroll")]
    [InlineData("Operation.FirstOrder, Operation.InitializationUnroll")]
    [InlineData("Operation.InitializationUnroll, Operation.ConjugateGradient")]
    public Task HG0013_ValidCompositionsAreAccepted(string operations) =>
        Verify($"[Hypergradient(Method.ReverseUnroll, Operations = new[] {{ {operations} }})]\npublic partial class Composed\n" + ValidBody);

    [Fact]
    public async Task HG0013_SaysWhatTheRuntimeWouldThrow()
    {
        var diagnostics = await AnalyzerHarness.Diagnose(Sources.Usings +
            "[Hypergradient(Method.ReverseUnroll, Operations = new[] { Operation.ReverseUnroll, Operation.ConjugateGradient })]\npublic partial class Composed\n" + ValidBody);
        var runtime = Hypergrad.Unrolled.CompositionRules.Validate(new[] { Operation.ReverseUnroll, Operation.ConjugateGradient }, innerSteps: 2)!;
        Assert.Contains(runtime.Message.TrimEnd('.'), diagnostics.Single().GetMessage());
    }

    [Fact]
    public Task HG0014_GenericClassAndRefBatch() => Verify("""
        [Hypergradient(Method.Neumann)]
        public partial class {|HG0014:Generic|}<T>
        {
            [Inner] public Tensor W = zeros(2).requires_grad_(true);
            [Outer] public Tensor L = zeros(2).requires_grad_(true);
            [InnerObjective] public Tensor G(ref Tensor {|HG0014:x|}) => (W * L * x).sum();
            [OuterObjective] public Tensor F() => W.sum();
        }
        """);

    [Fact]
    public Task VariablesAndObjectivesMayComeFromABaseClass() => Verify("""
        public abstract class Base
        {
            [Inner] protected Linear Model { get; } = nn.Linear(3, 1);
            [Outer] public Parameter Decay { get; } = new(zeros(1));
            [InnerObjective] public virtual Tensor Train(Tensor x, Tensor y) => mse_loss(Model.call(x), y) + Decay.sum();
        }

        [Hypergradient(Method.ConjugateGradient)]
        public partial class Derived : Base
        {
            public override Tensor Train(Tensor x, Tensor y) => base.Train(x, y) * 2;
            [OuterObjective] public Tensor Validate(Tensor x, Tensor y) => mse_loss(Model.call(x), y);
        }
        """);

    [Fact]
    public Task HG0014_PrivateBaseClassVariable() => Verify("""
        public abstract class Base
        {
            [Inner] private Linear {|HG0014:Model|} { get; } = nn.Linear(3, 1);
            protected Tensor Predict(Tensor x) => Model.call(x);
        }

        [Hypergradient(Method.ConjugateGradient)]
        public partial class {|HG0006:Derived|} : Base
        {
            [Outer] public Parameter Decay { get; } = new(zeros(1));
            [InnerObjective] public Tensor Train(Tensor x, Tensor y) => mse_loss(Predict(x), y) + Decay.sum();
            [OuterObjective] public Tensor Validate(Tensor x, Tensor y) => mse_loss(Predict(x), y);
        }
        """);

    [Fact]
    public async Task AnalyzersNeverThrowOnMalformedCodeMidEdit()
    {
        var compilation = TestCompilation.Create(Sources.Usings + """
            [Hypergradient(Method.)]
            public partial class Broken
            {
                [Inner] public Tensor W =
                [Outer] public
                [InnerObjective] public Tensor G(Tensor x, ) =>
                [OuterObjective] public Tensor F(ref Tensor x) => x;
                [Hypergradient(Method.ReverseUnroll, Operations = new[] { Operation. })] partial class Nested { }
            }
            """);
        var diagnostics = await compilation.WithAnalyzers(AnalyzerHarness.Analyzers).GetAnalyzerDiagnosticsAsync();
        Assert.DoesNotContain(diagnostics, d => d.Id == "AD0001");
    }

    [Fact]
    public Task MetaInitializationIsValidAndCountsAsUsed() => Verify("""
        [Hypergradient(Method.ReverseUnroll, Operations = new[] { Operation.InitializationUnroll })]
        public partial class Maml
        {
            [Inner(InitializedFrom = nameof(MetaInit))] public Linear Model { get; } = nn.Linear(3, 1);
            [Outer] public Linear MetaInit { get; } = nn.Linear(3, 1);
            [InnerObjective] public Tensor Train(Tensor x, Tensor y) => mse_loss(Model.call(x), y);
            [OuterObjective] public Tensor Validate(Tensor x, Tensor y) => mse_loss(Model.call(x), y);
        }
        """);

    [Theory]
    [InlineData("\"Missing\"")]   // not a member
    [InlineData("nameof(Other)")]  // a member, but not [Outer]
    [InlineData("nameof(Decay)")]  // [Outer], but a tensor for a module
    public Task HG0017_InvalidInitialization(string source) => Verify($$"""
        [Hypergradient(Method.ConjugateGradient)]
        public partial class Meta
        {
            [Inner(InitializedFrom = {{source}})] public Linear {|HG0017:Model|} { get; } = nn.Linear(3, 1);
            public Linear Other { get; } = nn.Linear(3, 1);
            [Outer] public Parameter Decay { get; } = new(zeros(1));
            [InnerObjective] public Tensor Train(Tensor x, Tensor y) => mse_loss(Model.call(x), y) + Decay.sum() * Model.weight.sum();
            [OuterObjective] public Tensor Validate(Tensor x, Tensor y) => mse_loss(Model.call(x), y);
        }
        """);

    [Theory]
    [InlineData("Min = 1, Max = 0")]                          // Min > Max
    [InlineData("Min = double.NaN")]                          // NaN
    [InlineData("Max = double.NegativeInfinity")]             // nothing allowed
    [InlineData("Min = double.PositiveInfinity, Max = 1e300")] // nothing allowed
    public Task HG0030_InvalidOuterBounds(string bounds) => Verify($$"""
        [Hypergradient(Method.ConjugateGradient)]
        public partial class Bounded
        {
            [Inner] public Linear Model { get; } = nn.Linear(3, 1);
            [Outer({{bounds}})] public Parameter {|HG0030:Decay|} { get; } = new(zeros(1));
            [InnerObjective] public Tensor Train(Tensor x, Tensor y) => mse_loss(Model.call(x), y) + Decay.sum() * Model.weight.sum();
            [OuterObjective] public Tensor Validate(Tensor x, Tensor y) => mse_loss(Model.call(x), y);
        }
        """);

    [Theory]
    [InlineData("Min = 0")]
    [InlineData("Max = 10")]
    [InlineData("Min = -1, Max = -1")]   // a point: allowed
    [InlineData("Min = double.NegativeInfinity, Max = double.PositiveInfinity")]
    public Task HG0030_ValidOuterBoundsAreAccepted(string bounds) => Verify($$"""
        [Hypergradient(Method.ConjugateGradient)]
        public partial class Bounded
        {
            [Inner] public Linear Model { get; } = nn.Linear(3, 1);
            [Outer({{bounds}})] public Parameter Decay { get; } = new(zeros(1));
            [InnerObjective] public Tensor Train(Tensor x, Tensor y) => mse_loss(Model.call(x), y) + Decay.sum() * Model.weight.sum();
            [OuterObjective] public Tensor Validate(Tensor x, Tensor y) => mse_loss(Model.call(x), y);
        }
        """);

    [Fact]
    public Task HG0014_Record() => Verify("[Hypergradient(Method.Nystrom)]\npublic partial record {|HG0014:Recorded|}\n" + ValidBody);

    [Fact]
    public Task HG0014_InnerStepWithOtherBatchOrReturn() => Verify("""
        [Hypergradient(Method.Neumann)]
        public partial class Steps
        {
            [Inner] public Tensor W = zeros(2).requires_grad_(true);
            [Outer] public Tensor L = zeros(2).requires_grad_(true);
            [InnerObjective] public Tensor G(Tensor x) => (W * L * x).sum();
            [OuterObjective] public Tensor F() => W.sum();
            [InnerStep] public int {|HG0014:{|HG0014:Step|}|}(Tensor x, Tensor y) => 0;
        }
        """);

    [Fact]
    public Task HG0014_InnerStepWithAnIterativeMethod() => Verify("""
        [Hypergradient(Method.ReverseUnroll)]
        public partial class Steps
        {
            [Inner] public Tensor W = zeros(2).requires_grad_(true);
            [Outer] public Tensor L = zeros(2).requires_grad_(true);
            [InnerObjective] public Tensor G(Tensor x) => (W * L * x).sum();
            [OuterObjective] public Tensor F() => W.sum();
            [InnerStep] public void {|HG0014:Step|}(Tensor x) { }
        }
        """);

    [Fact]
    public Task HG0015_BothInnerAndOuter() => Verify("""
        [Hypergradient(Method.Neumann)]
        public partial class Both
        {
            [Inner] public Tensor W = zeros(2).requires_grad_(true);
            [Inner, Outer] public Tensor {|HG0015:X|} = zeros(2).requires_grad_(true);
            [Outer] public Tensor L = zeros(2).requires_grad_(true);
            [InnerObjective] public Tensor G() => (W * L * X).sum();
            [OuterObjective] public Tensor F() => W.sum();
        }
        """);

    [Fact]
    public Task HG0016_OptionOfAnotherMethod() =>
        Verify("[Hypergradient(Method.ConjugateGradient, {|HG0016:Rank = 5|}, Iterations = 10)]\npublic partial class Options\n" + ValidBody);
}
