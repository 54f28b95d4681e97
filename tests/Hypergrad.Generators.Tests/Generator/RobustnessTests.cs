using Hypergrad.Generators.Tests.Infrastructure;
using Microsoft.CodeAnalysis.CSharp;

namespace Hypergrad.Generators.Tests.Generator;

/// <summary>
/// Ordinary user code that compiles either gets generated code that compiles or an HG diagnostic: never a compile
/// error in generated code, never a generator exception (CS8785), never an analyzer exception (AD0001).
/// </summary>
public class RobustnessTests
{
    private const string Usings = "using System;\nusing Hypergrad;\nusing TorchSharp;\nusing TorchSharp.Modules;\nusing static TorchSharp.torch;\n";

    /// <summary>A valid class with <paramref name="members"/> added and the objectives' parameter lists given.</summary>
    private static string Problem(string members = "", string innerParameters = "Tensor x, Tensor y", string innerUse = "x.sum() + y.sum()",
        string method = "Method.ConjugateGradient", string declaration = "public partial class Problem", string namespaceName = "Users",
        string innerAccess = "public") => Usings + $$"""
        namespace {{namespaceName}}
        {
            [Hypergradient({{method}})]
            {{declaration}}
            {
                [Inner] public Tensor W = zeros(2).requires_grad_(true);
                [Outer] public Tensor L = zeros(2).requires_grad_(true);
                [InnerObjective] {{innerAccess}} Tensor G({{innerParameters}}) => (W * L).sum() + {{innerUse}};
                [OuterObjective] public Tensor F() => W.sum();
        {{members}}
            }
        }
        """;

    private static async Task<GeneratorCheck.Outcome> Check(string source, LanguageVersion version = LanguageVersion.CSharp12)
    {
        var outcome = await GeneratorCheck.Run(GeneratorCheck.Compile(source, version));
        Assert.True(outcome.Failures.Count == 0, string.Join("\n", outcome.Failures));
        return outcome;
    }

    private static async Task Compiles(string source, LanguageVersion version = LanguageVersion.CSharp12)
    {
        var outcome = await Check(source, version);
        Assert.True(outcome.Generated.Count > 0, "no code generated; HG: " + string.Join(", ", outcome.Hg));
        Assert.DoesNotContain(outcome.Hg, d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error);
    }

    private static async Task Reports(string id, string source, LanguageVersion version = LanguageVersion.CSharp12)
    {
        var outcome = await Check(source, version);
        Assert.Contains(outcome.Hg, d => d.Id == id);
        Assert.Empty(outcome.Generated);
    }

    [Theory]
    [InlineData("public Tensor settings = zeros(1); public Tensor innerVariables = zeros(1); public Tensor outerVariables = zeros(1); public int batch;")]
    [InlineData("public int __batch; public int __settings; public static int z; public Tensor CreateBilevelProblem() => zeros(1); public int hypergradBilevelProblem;")]
    [InlineData("public class settings { } public class innerVariables { } public class batch { }")]
    [InlineData("public class Hypergrad { } public class System { } public class TorchSharp { } public class global { }")]
    [InlineData("public class var { } public class dynamic { } public class nameof { }")]
    public async Task UserMembersNamedLikeGeneratedLocalsCompile(string members) => await Compiles(Problem(members));

    [Theory]
    [InlineData("public void Run() { }")]
    [InlineData("public int Run;")]
    [InlineData("public Tensor BilevelProblem => zeros(1);")]
    [InlineData("public class BilevelProblem { }")]
    [InlineData("public void ComputeHypergradient(int x) { }")]
    [InlineData("private int __bilevelProblem;")]
    [InlineData("private void __CreateBilevelProblem() { }")]
    public async Task UserMembersNamedLikeGeneratedMembersAreHG0021(string member) => await Reports("HG0021", Problem(member));

    [Fact]
    public async Task AClassNamedLikeAGeneratedMemberIsHG0021() =>
        await Reports("HG0021", Problem(declaration: "public partial class Run"));

    [Theory]
    [InlineData("Tensor Item2, Tensor Item1", "Item2.sum() + Item1.sum()")]
    [InlineData("Tensor Item1, Tensor Rest", "Item1.sum() + Rest.sum()")]
    [InlineData("Tensor ToString, Tensor GetHashCode, Tensor Equals", "ToString.sum() + GetHashCode.sum() + Equals.sum()")]
    [InlineData("Tensor a, Tensor b, Tensor c, Tensor d, Tensor e, Tensor f, Tensor g, Tensor Item8, Tensor Rest", "a.sum() + Item8.sum() + Rest.sum()")]
    [InlineData("Tensor @class, Tensor @event", "@class.sum() + @event.sum()")]
    [InlineData("Tensor batch, Tensor __batch", "batch.sum() + __batch.sum()")]
    [InlineData("Tensor x, dynamic y", "x.sum()")]
    public async Task ObjectiveParameterNamesThatCannotNameTupleElementsCompile(string parameters, string use) =>
        await Compiles(Problem(innerParameters: parameters, innerUse: use));

    [Fact]
    public async Task ReservedTupleNamesStillPassEachElementToItsParameter()
    {
        var outcome = await Check(Problem(innerParameters: "Tensor Item2, Tensor Item1", innerUse: "Item2.sum()"));
        string code = outcome.Generated.Values.Single();
        Assert.Contains("(global::TorchSharp.torch.Tensor, global::TorchSharp.torch.Tensor)", code);
        Assert.Contains("this.G(__batch.Item1, __batch.Item2)", code);
    }

    [Theory]
    [InlineData("@namespace")]
    [InlineData("Users.@class.@event")]
    [InlineData("Ünïcode.Naméspace")]
    public async Task KeywordAndUnicodeNamespacesCompile(string namespaceName)
    {
        var outcome = await Check(Problem(namespaceName: namespaceName));
        Assert.Single(outcome.Generated);
        Assert.All(outcome.Generated.Keys, hint => Assert.Matches("^[A-Za-z0-9_.]+$", hint));
    }

    [Fact]
    public async Task KeywordIdentifiersEverywhereCompile() => await Compiles(Usings + """
        namespace @namespace
        {
            public static partial class @static
            {
                [Hypergradient(Method.Neumann)]
                public partial class @class
                {
                    [Inner] public Tensor @event = zeros(2).requires_grad_(true);
                    [Outer] public Tensor @in = zeros(2).requires_grad_(true);
                    [InnerObjective] public Tensor @object(Tensor @int) => (@event * @in).sum() + @int.sum();
                    [OuterObjective] public Tensor @return() => @event.sum();
                }
            }
        }
        """);

    [Fact]
    public async Task StaticObjectivesCompile() => await Compiles(Problem("[InnerStep] public static void Step(Tensor x, Tensor y) { }"));

    [Theory]
    [InlineData("Span<float> x, Tensor y", "y.sum()")]
    [InlineData("ReadOnlySpan<float> x, Tensor y", "y.sum()")]
    [InlineData("Tensor x, float* y", "x.sum()")]
    public async Task RefStructAndPointerBatchParametersAreHG0014(string parameters, string use) =>
        await Reports("HG0014", Problem(innerParameters: parameters, innerUse: use, declaration: "public unsafe partial class Problem"));

    [Theory]
    [InlineData("private", "public partial class Problem")]
    [InlineData("protected", "public partial class Problem")]
    [InlineData("private", "internal partial class Problem")]
    public async Task LessVisibleBatchTypesGiveLessVisibleMembers(string batchAccess, string declaration)
    {
        var outcome = await Check(Problem($"{batchAccess} class Batch {{ public Tensor X = zeros(1); }}",
            innerParameters: "Batch b, Tensor y", innerUse: "b.X.sum() + y.sum()", declaration: declaration, innerAccess: batchAccess));
        string code = Assert.Single(outcome.Generated).Value;
        Assert.DoesNotContain("IBilevelProblemClass", code);
        Assert.DoesNotContain("public ", code);
    }

    [Theory]
    [InlineData("namespace Users { internal class Batch { } }")]
    [InlineData("namespace Users { public class Outer { internal class Batch { } } }")]
    public async Task AnInternalBatchTypeOfAnotherClassGivesInternalMembers(string batchDeclaration)
    {
        string parameters = batchDeclaration.Contains("Outer") ? "Outer.Batch b, Tensor y" : "Batch b, Tensor y";
        var outcome = await Check(Problem(innerParameters: parameters, innerUse: "y.sum()", innerAccess: "internal") + "\n" + batchDeclaration);
        Assert.Contains("internal global::Hypergrad.HypergradientResult ComputeHypergradient(", outcome.Generated.Values.Single());
    }

    [Theory]
    [InlineData("public Tensor Loss { [OuterObjective] get => W.sum(); }")]
    [InlineData("public static Tensor operator +(Problem a, Problem b) => zeros(1); [InnerObjective] public static implicit operator Tensor(Problem p) => zeros(1);")]
    public async Task MethodAttributesOnAccessorsAndOperatorsAreHG0014(string member)
    {
        var outcome = await Check(Problem(member));
        Assert.Contains(outcome.Hg, d => d.Id is "HG0014" or "HG0003");
        Assert.Empty(outcome.Generated);
    }

    [Fact]
    public async Task IndexerVariableIsHG0014() => await Reports("HG0014", Problem("[Inner] public Tensor this[int i] => W;"));

    [Fact]
    public async Task ExplicitInterfaceMembersAreHG0014() => await Reports("HG0014", Usings + """
        public interface ILosses { Tensor Loss(); Tensor State { get; } }
        [Hypergradient(Method.ConjugateGradient)]
        public partial class Problem : ILosses
        {
            [Inner] public Tensor W = zeros(2).requires_grad_(true);
            [Outer] public Tensor L = zeros(2).requires_grad_(true);
            [InnerObjective] public Tensor G() => (W * L).sum();
            [OuterObjective] Tensor ILosses.Loss() => W.sum();
            [Inner] Tensor ILosses.State => W;
        }
        """);

    [Fact]
    public async Task FileLocalClassIsHG0014() => await Reports("HG0014", Problem(declaration: "file partial class Problem"));

    [Theory]
    [InlineData(LanguageVersion.CSharp7_3)]
    [InlineData(LanguageVersion.CSharp8)]
    public async Task LanguageVersionsBelowTheMinimumAreHG0022(LanguageVersion version) =>
        await Reports("HG0022", Problem().Replace("namespace Users\n{", "namespace Users {"), version);

    [Theory]
    [InlineData(LanguageVersion.CSharp9)]   // the stated minimum
    [InlineData(LanguageVersion.CSharp10)]
    [InlineData(LanguageVersion.Latest)]
    public async Task GeneratedCodeCompilesFromTheMinimumLanguageVersion(LanguageVersion version) => await Compiles(Problem(), version);

    [Theory]
    [InlineData("(Method)99")]
    [InlineData("(Method)(-1)")]
    public async Task AnUndefinedMethodIsHG0012(string method) => await Reports("HG0012", Problem(method: method));

    [Fact]
    public async Task AnUndefinedOperationIsHG0012() =>
        await Reports("HG0012", Problem(method: "Method.ReverseUnroll, Operations = new[] { (Operation)99 }"));

    [Fact]
    public async Task OneBadClassLeavesTheOthersOutputIntact()
    {
        string good = Problem(namespaceName: "Good");
        string bad = Problem("public void Run() { }", namespaceName: "Bad");
        string spans = Problem(innerParameters: "Span<float> x", innerUse: "zeros(1)", namespaceName: "@namespace");
        string partialTwice = Usings + """
            namespace Twice
            {
                [Hypergradient(Method.ConjugateGradient)] public partial class P { [Inner] public Tensor W = zeros(2).requires_grad_(true); }
                public partial class P
                {
                    [Outer] public Tensor L = zeros(2).requires_grad_(true);
                    [InnerObjective] public Tensor G() => (W * L).sum();
                    [OuterObjective] public Tensor F() => W.sum();
                }
            }
            """;
        var outcome = await Check(string.Join("\n", good, bad.Replace(Usings, ""), spans.Replace(Usings, ""), partialTwice.Replace(Usings, "")));
        Assert.Equal(new[] { "Good.Problem.Hypergrad.g.cs", "Twice.P.Hypergrad.g.cs" }, outcome.Generated.Keys.Order());
    }
}
