using System.Collections.Generic;
using System.Linq;
using Hypergrad.Generators.Model;
using static Hypergrad.Generators.Emit.ProblemWriter;

namespace Hypergrad.Generators.Emit;

/// <summary>
/// Writes the members of a <c>[FixedPointMap]</c> (equilibrium) class: the runtime's <c>FixedPointProblem</c>,
/// <c>ComputeHypergradient(batch)</c> and <c>Run(data, …)</c>, each forwarding to one runtime call.
/// </summary>
internal static class FixedPointProblemWriter
{
    public static void Write(IndentedWriter writer, ProblemModel model, FixedPointMapModel map)
    {
        var batch = map.Method;
        string batchType = BatchType(batch);
        string problemType = $"{Solving}.FixedPointProblem<{batchType}>";

        writer.Line($"private {problemType}? hypergradBilevelProblem;")
              .Line()
              .Line("/// <summary>")
              .Line($"/// This class as the runtime sees it: equilibrium state {Names(model.Inner)} = {batch.Name}(state) on each batch, trained")
              .Line($"/// (outer) variables {Names(model.Outer)}, loss {model.OuterObjective.Name} at the equilibrium, hypergradients by Method.{model.Settings.Method}.")
              .Line("/// Built on first use, after the constructor has created the variables.")
              .Line("/// </summary>")
              .Line($"public {problemType} BilevelProblem => hypergradBilevelProblem ??= CreateBilevelProblem();")
              .Line();

        using (writer.Block($"private {problemType} CreateBilevelProblem()"))
        {
            WriteSettingsAndVariables(writer, model,
                "// The equilibrium state z: found again for every batch by iterating the map.",
                "// The trained variables θ: their gradients accumulate into .grad.");
            writer.Line($"return new {problemType}(");
            using (writer.Indent())
            {
                WriteCommonArguments(writer, model);
                writer.Line("// Φ(·; θ, batch): the map of one batch, evaluated at the variables' current (or substituted) values.");
                writer.Line($"fixedPointMap: new {Solving}.FixedPointMapOfBatch<{batchType}>(\"{batch.Name}\", {MapLambda(map)}),");
                writer.Line("// F at the equilibrium, on the same batch.");
                writer.Line($"outerObjective: new {Solving}.Objective<{batchType}>(\"{model.OuterObjective.Name}\", {Lambda(batch, model.OuterObjective.Name)}){CloseArguments(model)}");
            }
            WriteOuterBounds(writer, model);
        }
        writer.Line();

        var parameters = new List<string>();
        var arguments = new List<string>();
        AddBatch(batch, "batch", parameters, arguments);
        writer.Line("/// <summary>")
              .Line($"/// Computes dF/dθ of {model.OuterObjective.Name} on one batch: finds the batch's equilibrium by iterating {batch.Name} (no graph),")
              .Line($"/// then solves (I − Jᵀ) x = ∂F/∂z with J = ∂{batch.Name}/∂z (Method.{model.Settings.Method}), and accumulates dF/dθ into the")
              .Line("/// outer variables' <c>.grad</c>. The equilibrium stays in the [Inner] state (see <c>BilevelProblem.LastEquilibrium</c>).")
              .Line("/// </summary>");
        if (batch.Parameters.Count > 0)
            writer.Line($"/// <param name=\"batch\">The batch {batch.Name} and {model.OuterObjective.Name} are evaluated on.</param>");
        writer.Line("/// <returns>The gradient per outer variable and what the computation did (iterations, residual, …).</returns>")
              .Line($"public global::Hypergrad.HypergradientResult ComputeHypergradient({string.Join(", ", parameters)}) =>");
        using (writer.Indent())
            writer.Line($"BilevelProblem.ComputeHypergradient({string.Join(", ", arguments)});");
        writer.Line();

        parameters.Clear();
        arguments.Clear();
        AddSource(batch, "data", parameters, arguments);
        writer.Line("/// <summary>")
              .Line("/// Trains the outer variables: for each of <c>options.Steps</c> batches, finds its equilibrium, computes dF/dθ there")
              .Line("/// on the same batch and steps <c>options.OuterOptimizer</c>.")
              .Line("/// </summary>");
        if (batch.Parameters.Count > 0)
            writer.Line($"/// <param name=\"data\">Batches for {batch.Name} and {model.OuterObjective.Name}; restarted when exhausted.</param>");
        writer.Line("/// <param name=\"options\">Steps and the outer optimizer.</param>")
              .Line("/// <param name=\"progress\">Receives a report after every step.</param>")
              .Line("/// <param name=\"cancellationToken\">Stops the run after the current step.</param>");
        WriteRunMethod(writer, parameters, arguments, "FixedPointSolver");
    }

    /// <summary>batch ↦ (z ↦ Φ(z)) from either form of the user's method.</summary>
    private static string MapLambda(FixedPointMapModel map)
    {
        var elements = map.Method.Parameters.Count switch
        {
            0 => new string[0],
            1 => new[] { "batch" },
            _ => map.Method.Parameters.Select(p => "batch." + p.Name).ToArray(),
        };
        return map.ReturnsMap
            ? $"batch => {map.Method.Name}({string.Join(", ", elements)})"
            : $"batch => z => {map.Method.Name}({string.Join(", ", new[] { "z" }.Concat(elements))})";
    }
}
