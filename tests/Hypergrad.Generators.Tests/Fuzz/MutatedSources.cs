using System.Text;

namespace Hypergrad.Generators.Tests.Fuzz;

/// <summary>
/// Mutations of valid DSL classes: a template with holes, each filled by its valid default or, when mutated, by a
/// value chosen to break naive generated code (names that collide with generated members or locals, keyword
/// identifiers, reserved tuple element names, other accessibilities and modifiers, attributes moved or duplicated,
/// batch parameter types that cannot be tuple elements, invalid options, old language versions, …).
/// </summary>
internal static class MutatedSources
{
    private static readonly string[] Names =
    {
        "settings", "innerVariables", "outerVariables", "batch", "__batch", "__settings", "z", "__z", "Run", "BilevelProblem",
        "ComputeHypergradient", "CreateBilevelProblem", "__CreateBilevelProblem", "__bilevelProblem", "hypergradBilevelProblem",
        "Item1", "Item2", "Item9", "Rest", "ToString", "Equals", "GetHashCode", "CompareTo", "Deconstruct", "GetType",
        "@class", "@event", "@namespace", "@in", "@object", "Hypergrad", "System", "TorchSharp", "Tensor", "global", "value",
        "var", "dynamic", "nameof", "async", "await", "options", "progress", "cancellationToken", "train", "validation", "data",
        "innerBatch", "outerBatch", "Problem", "W", "L", "G", "F", "x", "y", "Ünïcode", "_", "__", "name",
    };

    private static readonly string[] Accessibilities = { "public", "internal", "private", "protected", "protected internal", "private protected", "" };
    private static readonly string[] ParameterTypes =
    {
        "Tensor", "Span<float>", "ReadOnlySpan<float>", "float*", "int", "int[]", "(Tensor, Tensor)", "(Tensor a, Tensor b)",
        "System.Collections.Generic.List<Tensor>", "Tensor?", "dynamic", "object", "Batch", "Problem", "ref Tensor", "in Tensor",
        "params Tensor[]", "out Tensor", "Outer.Nested", "Tensor[,]", "System.ValueTuple", "Func<Tensor, Tensor>",
    };
    private static readonly string[] VariableAttributes = { "[Inner]", "[Outer]", "", "[Inner, Outer]", "[Inner(InitializedFrom = \"L\")]", "[InnerObjective]" };
    private static readonly string[] MethodAttributes = { "[InnerObjective]", "[OuterObjective]", "[InnerStep]", "[FixedPointMap]", "" };
    private static readonly string[] Methods =
    {
        "Method.ConjugateGradient", "Method.Neumann", "Method.FixedPoint", "Method.Nystrom", "Method.ReverseUnroll", "Method.TruncatedUnroll",
        "Method.ConjugateGradientNormal", "Method.Exact", "Method.OptimizerSolve", "(Method)99", "(Method)(-1)",
        "Method.ReverseUnroll, Operations = new[] { Operation.InitializationUnroll }", "Method.ReverseUnroll, Operations = new[] { (Operation)42 }",
        "Method.ConjugateGradient, Iterations = 0", "Method.Nystrom, Rank = 3, Rho = 0.5", "Method.TruncatedUnroll, Truncation = 3, UnrollSteps = 2",
        "Method.ConjugateGradient, EquilibriumIterations = 5",
    };

    /// <summary>The holes of the template with their valid defaults, and the values a mutation may put in each.</summary>
    private static readonly (string Hole, string Default, string[] Alternatives)[] Holes =
    {
        ("NS", "Users", new[] { "@namespace", "Users.@class", "Ünïcode.Naméspace", "Hypergrad", "System.Users", "TorchSharp.Users", "Users2" }),
        ("OUTER_OPEN", "", new[] { "public static partial class Outer {", "public partial class Outer {", "internal partial struct Outer {", "public partial class @class {", "public partial record Outer {", "public partial interface IOuter {", "public class NotPartial {", "public partial class Generic<T> {", "file partial class Outer {" }),
        ("METHOD", "Method.ConjugateGradient", Methods),
        ("CLASS_MODS", "public", new[] { "internal", "public sealed", "public abstract", "public static", "file", "public unsafe", "private", "protected internal", "" }),
        ("CLASS", "Problem", Names),
        ("PARTIAL", "partial class", new[] { "class", "partial record", "partial struct", "partial class" }),
        ("BASE", "", new[] { " : Base", " : ILosses", " : System.IDisposable", " : Base, ILosses" }),
        ("VAR1_ATTR", "[Inner]", VariableAttributes),
        ("VAR1_ACCESS", "public", Accessibilities),
        ("VAR1_MODS", "", new[] { "static", "readonly", "new", "const" }),
        ("VAR1", "W", Names),
        ("VAR1_FORM", " = zeros(2).requires_grad_(true);", new[] { " { get; } = zeros(2).requires_grad_(true);", " => zeros(2);", " { set { } }", " { get; init; } = zeros(2);" }),
        ("VAR2_ATTR", "[Outer]", VariableAttributes),
        ("VAR2_ACCESS", "public", Accessibilities),
        ("VAR2", "L", Names),
        ("VAR2_TYPE", "Tensor", new[] { "Parameter", "Linear", "Module", "int", "Tensor?", "Tensor[]" }),
        ("OBJ1_ATTR", "[InnerObjective]", MethodAttributes),
        ("OBJ1_ACCESS", "public", Accessibilities),
        ("OBJ1_MODS", "", new[] { "static", "virtual", "new", "unsafe", "async", "extern" }),
        ("OBJ1", "G", Names),
        ("OBJ1_RETURN", "Tensor", new[] { "Parameter", "float", "void", "Func<Tensor, Tensor>", "ref Tensor" }),
        ("P1_TYPE", "Tensor", ParameterTypes),
        ("P1", "x", Names),
        ("P2_TYPE", "Tensor", ParameterTypes),
        ("P2", "y", Names),
        ("OBJ1_TYPE_PARAMS", "", new[] { "<T>" }),
        ("OBJ2_ATTR", "[OuterObjective]", MethodAttributes),
        ("OBJ2_ACCESS", "public", Accessibilities),
        ("OBJ2", "F", Names),
        ("OBJ2_PARAMS", "", new[] { "Tensor x", "Tensor x, Tensor y", "Tensor z, Tensor x, Tensor y", "Span<float> s", "Batch b" }),
        ("EXTRA", "", new[]
        {
            "public void Run() { }", "public int BilevelProblem;", "public class ComputeHypergradient { }",
            "public Tensor Loss { [OuterObjective] get => zeros(1); }", "[Inner] public Tensor this[int i] => zeros(1);",
            "[OuterObjective] Tensor ILosses.Loss() => zeros(1);", "[InnerStep] public void Step(Tensor x, Tensor y) { }",
            "[InnerStep] public static void Step(Tensor x, Tensor y) { }", "public Tensor settings = zeros(1);",
            "private class Batch { }", "public Tensor Map(Tensor z, Tensor x, Tensor y) => z;",
            "[FixedPointMap] public Tensor Map(Tensor z, Tensor x, Tensor y) => z;", "[InnerObjective] public Tensor G2() => zeros(1);",
            "public Problem() { }", "public static implicit operator Tensor(Problem p) => zeros(1);",
        }),
        ("LANG", "12", new[] { "7.3", "8", "9", "10", "11" }),
    };

    private const string Template = """
        using System;
        using Hypergrad;
        using TorchSharp;
        using TorchSharp.Modules;
        using static TorchSharp.torch;

        namespace NS
        {
            public interface ILosses { Tensor Loss(); }
            public abstract class Base { }
            public class Outer2 { public class Nested { } }
            internal class Batch { }
            OUTER_OPEN
            [Hypergradient(METHOD)]
            CLASS_MODS PARTIAL CLASSBASE
            {
                VAR1_ATTR VAR1_ACCESS VAR1_MODS Tensor VAR1VAR1_FORM
                VAR2_ATTR VAR2_ACCESS VAR2_TYPE VAR2 = default!;
                OBJ1_ATTR OBJ1_ACCESS OBJ1_MODS OBJ1_RETURN OBJ1OBJ1_TYPE_PARAMS(P1_TYPE P1, P2_TYPE P2) => default!;
                OBJ2_ATTR OBJ2_ACCESS Tensor OBJ2(OBJ2_PARAMS) => zeros(1);
                EXTRA
            }
            OUTER_CLOSE
        }
        """;

    /// <summary>A mutated source (1 to 4 holes changed) and its language version.</summary>
    public static (string Source, string LanguageVersion, string Mutations) Next(Random random)
    {
        var values = Holes.ToDictionary(h => h.Hole, h => h.Default);
        int count = random.Next(1, 5);
        var mutations = new List<string>();
        for (int i = 0; i < count; i++)
        {
            var (hole, _, alternatives) = Holes[random.Next(Holes.Length)];
            values[hole] = alternatives[random.Next(alternatives.Length)];
            mutations.Add($"{hole}={values[hole]}");
        }
        values["OUTER_CLOSE"] = values["OUTER_OPEN"].Length > 0 ? "}" : "";
        var source = new StringBuilder(Template);
        // Longest holes first, so that VAR1_ATTR is replaced before VAR1.
        foreach (var (hole, value) in values.OrderByDescending(p => p.Key.Length))
            if (hole != "LANG") source.Replace(hole, value);
        return (source.ToString().Replace("Outer.Nested", "Outer2.Nested"), values["LANG"], string.Join("; ", mutations));
    }
}
