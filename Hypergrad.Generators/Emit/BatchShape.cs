using System.Collections.Generic;
using System.Linq;
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
        _ => "(" + string.Join(", ", method.Parameters.Select(p => $"{p.TypeName} {p.Name}")) + ")",
    };

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

    /// <summary>A lambda adapting a method that takes the batch's elements to a delegate taking the batch.</summary>
    public static string Lambda(MethodModel batchShape, string methodName) => batchShape.Parameters.Count switch
    {
        0 => $"batch => {methodName}()",
        1 => $"batch => {methodName}(batch)",
        _ => $"batch => {methodName}({string.Join(", ", Elements(batchShape))})",
    };

    /// <summary>The expressions reading each element of a batch named <c>batch</c>.</summary>
    public static IEnumerable<string> Elements(MethodModel batchShape) => batchShape.Parameters.Count switch
    {
        0 => new string[0],
        1 => new[] { "batch" },
        _ => batchShape.Parameters.Select(p => "batch." + p.Name),
    };

    /// <summary>The members' names joined for doc comments ("Model, LogDecay").</summary>
    public static string Names(EquatableArray<VariableModel> variables) => string.Join(", ", variables.Select(v => v.Name));
}
