using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;
using Hypergrad.Generators.Extraction;
using Hypergrad.Generators.Model;

namespace Hypergrad.Generators.Emit;

/// <summary>
/// How an objective's parameter list becomes a batch: its type (the parameter, a tuple of them, or ValueTuple for
/// none), the generated members' parameters and arguments, and the lambda adapting the method to a batch delegate.
/// </summary>
internal static class BatchShape
{
    public const string Solving = "global::Hypergrad.Solving";

    /// <summary>The type of the batch an objective consumes: its parameter, a tuple of them, or ValueTuple for none.</summary>
    public static string BatchType(MethodModel method) => method.Parameters.Count switch
    {
        0 => "global::System.ValueTuple",
        1 => method.Parameters[0].TypeName,
        _ => "(" + string.Join(", ", method.Parameters.Select((p, i) => TupleElementName(p.Name, i) is { } name ? $"{p.TypeName} {name}" : p.TypeName)) + ")",
    };

    /// <summary>
    /// The tuple element's name for the parameter at <paramref name="position"/>, or null when C# reserves it there
    /// (CS8125/CS8126: ItemN at another position, Rest, or a member of ValueTuple such as ToString): the element is
    /// then unnamed and read as ItemN.
    /// </summary>
    public static string? TupleElementName(string name, int position)
    {
        if (name is "Rest" or "ToString" or "Equals" or "GetHashCode" or "CompareTo" or "Deconstruct" or "GetType" or "MemberwiseClone" or "Finalize")
            return null;
        if (ItemName.IsMatch(name) && name != $"Item{position + 1}") return null;
        return KnownNames.Identifier(name);
    }

    private static readonly Regex ItemName = new("^Item[0-9]+$", RegexOptions.CultureInvariant);

    /// <summary>Adds <c>&lt;batch type&gt; name</c> to the parameters (none for an empty batch: the argument is <c>default</c>).</summary>
    public static void AddBatch(MethodModel objective, string name, List<string> parameters, List<string> arguments)
    {
        if (objective.Parameters.Count == 0)
        {
            arguments.Add("default");
            return;
        }
        parameters.Add($"{BatchType(objective)} {name}");
        arguments.Add(name);
    }

    /// <summary>Adds <c>IEnumerable&lt;batch type&gt; name</c> to the parameters (none for an empty batch: <c>Batches.None</c>).</summary>
    public static void AddSource(MethodModel objective, string name, List<string> parameters, List<string> arguments)
    {
        if (objective.Parameters.Count == 0)
        {
            arguments.Add($"{Solving}.Batches.None");
            return;
        }
        parameters.Add($"global::System.Collections.Generic.IEnumerable<{BatchType(objective)}> {name}");
        arguments.Add(name);
    }

    /// <summary>A lambda adapting <paramref name="method"/>, which takes the elements of <paramref name="batchShape"/>'s batch, to a delegate taking the batch.</summary>
    public static string Lambda(MethodModel batchShape, MethodModel method) =>
        $"{GeneratedNames.Batch} => {Call(method, Elements(batchShape))}";

    /// <summary><c>this.Method(arguments)</c> (or <c>global::Type.Method(…)</c> for a static method).</summary>
    public static string Call(MethodModel method, IEnumerable<string> arguments) =>
        $"{method.Receiver}.{KnownNames.Identifier(method.Name)}({string.Join(", ", arguments)})";

    /// <summary>The expressions reading each element of the lambda's batch.</summary>
    public static IEnumerable<string> Elements(MethodModel batchShape) => batchShape.Parameters.Count switch
    {
        0 => new string[0],
        1 => new[] { GeneratedNames.Batch },
        _ => batchShape.Parameters.Select((p, i) => $"{GeneratedNames.Batch}.{TupleElementName(p.Name, i) ?? $"Item{i + 1}"}"),
    };

    /// <summary>The members' names joined for doc comments ("Model, LogDecay").</summary>
    public static string Names(EquatableArray<VariableModel> variables) => string.Join(", ", variables.Select(v => v.Name));
}
