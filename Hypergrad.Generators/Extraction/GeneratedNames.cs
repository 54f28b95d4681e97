using System.Linq;
using Hypergrad.Analyzers;
using Microsoft.CodeAnalysis;

namespace Hypergrad.Generators.Extraction;

/// <summary>
/// The names the generated code declares. The public members are the class's API; everything private (the field,
/// the factory method, locals, lambda parameters) starts with "__", which no user member is expected to have, and
/// every access to a user member is qualified (this.Member), so no user name can shadow or be shadowed by them.
/// </summary>
internal static class GeneratedNames
{
    public const string BilevelProblem = "BilevelProblem";
    public const string ComputeHypergradient = "ComputeHypergradient";
    public const string Run = "Run";
    public const string ProblemField = "__bilevelProblem";
    public const string CreateProblem = "__CreateBilevelProblem";

    // Locals and lambda parameters of the generated members.
    public const string Settings = "__settings";
    public const string InnerVariables = "__innerVariables";
    public const string OuterVariables = "__outerVariables";
    public const string Batch = "__batch";
    public const string State = "__z";

    /// <summary>The members the generated code adds to the class.</summary>
    public static readonly string[] Members = { BilevelProblem, ComputeHypergradient, Run, ProblemField, CreateProblem };

    /// <summary>HG0021 for each member (or nested type) of the class, or the class itself, named like a generated member.</summary>
    public static void CheckClashes(INamedTypeSymbol type, Reporter report)
    {
        if (Members.Contains(type.Name))
            report.Add(DiagnosticDescriptors.GeneratedMemberClash, type, type.Name, type.Name, "a member cannot have the name of its class");
        foreach (var member in type.GetMembers().Where(m => !m.IsImplicitlyDeclared && Members.Contains(m.Name)))
            report.Add(DiagnosticDescriptors.GeneratedMemberClash, member, member.Name, type.Name, Describe(member.Name));
        foreach (var nested in type.GetTypeMembers().Where(t => Members.Contains(t.Name)))
            report.Add(DiagnosticDescriptors.GeneratedMemberClash, nested, nested.Name, type.Name, Describe(nested.Name));
    }

    private static string Describe(string name) => name switch
    {
        BilevelProblem => "the property holding the class as the runtime sees it",
        ComputeHypergradient => "the method computing one hypergradient",
        Run => "the method running the bilevel optimization",
        _ => "a private member behind BilevelProblem",
    };
}
