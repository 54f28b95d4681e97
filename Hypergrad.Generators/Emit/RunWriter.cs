using System.Collections.Generic;
using System.Linq;
using Hypergrad.Generators.Model;
using static Hypergrad.Generators.Emit.BatchShape;
using static Hypergrad.Generators.Extraction.GeneratedNames;

namespace Hypergrad.Generators.Emit;

/// <summary>Writes <c>Run(data sources, options, progress, cancellationToken)</c>, forwarding to the runtime's solver loop.</summary>
internal static class RunWriter
{
    public static void Write(IndentedWriter writer, ProblemModel model)
    {
        var parameters = new List<string>();
        var arguments = new List<string>();
        string solver;
        writer.Line("/// <summary>");
        if (model.FixedPointMap is { } map)
        {
            var batch = map.Method;
            AddSource(batch, "data", parameters, arguments);
            solver = "FixedPointSolver";
            writer.Line("/// Trains the outer variables: for each of <c>options.Steps</c> batches, finds its equilibrium, computes dF/dθ there")
                  .Line("/// on the same batch and steps <c>options.OuterOptimizer</c>.")
                  .Line("/// </summary>");
            if (batch.Parameters.Count > 0)
                writer.Line($"/// <param name=\"data\">Batches for {batch.Name} and {model.OuterObjective.Name}; restarted when exhausted.</param>");
            writer.Line("/// <param name=\"options\">Steps and the outer optimizer.</param>")
                  .Line("/// <param name=\"progress\">Receives a report after every step.</param>")
                  .Line("/// <param name=\"cancellationToken\">Stops the run after the current step.</param>");
        }
        else
        {
            var innerObjective = model.InnerObjective!;
            AddSource(innerObjective, "train", parameters, arguments);
            AddSource(model.OuterObjective, "validation", parameters, arguments);
            solver = "BilevelSolver";
            if (MethodFamilies.IsJoint(model.Settings.Method))
                writer.Line($"/// Solves the bilevel problem with Method.{model.Settings.Method}: <c>options.Steps</c> iterations, each an outer step that draws its")
                      .Line("/// batches, steps the inner variables (<c>options.InnerOptimizer</c>), the method's own state and the outer variables")
                      .Line("/// (<c>options.OuterOptimizer</c>) together. With <c>options.CheckpointPath</c> set, an interrupted run resumes where it stopped.");
            else
                writer.Line("/// Solves the bilevel problem (hypergrad's Solver.run): an inner step per training batch and, every")
                      .Line("/// <c>options.UnrollSteps</c> steps after <c>options.Patience</c>, an outer step along the hypergradient.")
                      .Line("/// With <c>options.CheckpointPath</c> set, an interrupted run resumes where it stopped.");
            writer.Line("/// </summary>");
            if (innerObjective.Parameters.Count > 0)
                writer.Line($"/// <param name=\"train\">Batches for {innerObjective.Name}; restarted when exhausted.</param>");
            if (model.OuterObjective.Parameters.Count > 0)
                writer.Line($"/// <param name=\"validation\">Batches for {model.OuterObjective.Name}; restarted when exhausted.</param>");
            writer.Line(MethodFamilies.IsJoint(model.Settings.Method)
                ? "/// <param name=\"options\">Steps, optimizers and checkpointing.</param>"
                : "/// <param name=\"options\">Steps, unroll steps, patience, optimizers and checkpointing.</param>")
                  .Line("/// <param name=\"progress\">Receives a report after every outer step.</param>")
                  .Line("/// <param name=\"cancellationToken\">Stops the run after the current step (checkpointing first).</param>");
        }

        bool emptyBatch = arguments.Contains($"{Solving}.Batches.None");
        parameters.Add($"{Solving}.BilevelOptions options");
        parameters.Add($"global::System.IProgress<{Solving}.BilevelProgress>? progress = null");
        parameters.Add("global::System.Threading.CancellationToken cancellationToken = default");
        arguments.AddRange(["options", "progress", "cancellationToken"]);
        writer.Line(ProblemFileWriter.GeneratedCodeAttribute);
        WriteMethod(writer, $"{model.MemberAccessibility} {Result} {Run}(", parameters, $"{Solving}.{solver}.{Run}(this.{BilevelProblem}, {string.Join(", ", arguments)});");

        // A batch without parameters leaves the public method without that source: the interface's takes it.
        if (ProblemFileWriter.ImplementsInterface(model) && emptyBatch)
        {
            var sources = model.FixedPointMap is { } fixedPoint
                ? new[] { (fixedPoint.Method, "data") }
                : new[] { (model.InnerObjective!, "train"), (model.OuterObjective, "validation") };
            var explicitParameters = sources.Select(s => $"global::System.Collections.Generic.IEnumerable<{BatchType(s.Item1)}> {s.Item2}").Concat(new[]
            {
                $"{Solving}.BilevelOptions options",
                $"global::System.IProgress<{Solving}.BilevelProgress>? progress",
                "global::System.Threading.CancellationToken cancellationToken",
            }).ToList();
            writer.Line()
                  .Line("/// <inheritdoc/>")
                  .Line(ProblemFileWriter.GeneratedCodeAttribute);
            WriteMethod(writer, $"{Result} {ProblemFileWriter.InterfaceType(model)}.{Run}(", explicitParameters,
                $"{Solving}.{solver}.{Run}(this.{BilevelProblem}, {string.Join(", ", sources.Select(s => s.Item2))}, options, progress, cancellationToken);");
        }
    }

    private const string Result = Solving + ".BilevelRunResult";

    private static void WriteMethod(IndentedWriter writer, string opening, List<string> parameters, string body)
    {
        writer.Line(opening);
        using (writer.Indent())
        {
            for (int i = 0; i < parameters.Count; i++)
                writer.Line(parameters[i] + (i == parameters.Count - 1 ? ") =>" : ","));
            writer.Line(body);
        }
    }
}
