using Hypergrad.Generators.Tests.Infrastructure;

namespace Hypergrad.Generators.Tests.Analyzers;

/// <summary>HG0023: Hypergrad's member attributes on a class that is no bilevel problem (nor a base of one).</summary>
public class MemberAttributeWithoutProblemTests
{
    private const string Usings = "using Hypergrad;\nusing TorchSharp;\nusing static TorchSharp.torch;\n";

    [Fact]
    public Task ReportedOnEveryMemberAttributeOfAClassWithoutHypergradient() => AnalyzerHarness.Verify(Usings + """
        public partial class Forgotten
        {
            [{|HG0023:Inner|}] public Tensor W = zeros(2).requires_grad_(true);
            [{|HG0023:Outer|}] public Tensor L = zeros(2).requires_grad_(true);
            [{|HG0023:InnerObjective|}] public Tensor G() => (W * L).sum();
            [{|HG0023:OuterObjective|}] public Tensor F() => W.sum();
        }
        """);

    [Fact]
    public Task NotReportedOnABaseClassOfAProblemNorOnAnAbstractClass() => AnalyzerHarness.Verify(Usings + """
        public class Shared
        {
            [Inner] public Tensor W = zeros(2).requires_grad_(true);
            [Outer] public Tensor L = zeros(2).requires_grad_(true);
            [InnerObjective] public Tensor G() => (W * L).sum();
            [OuterObjective] public Tensor F() => W.sum();
        }
        [Hypergradient(Method.ConjugateGradient)] public partial class Derived : Shared { }
        public abstract class Library
        {
            [Inner] public Tensor W = zeros(2).requires_grad_(true);
        }
        """);
}
