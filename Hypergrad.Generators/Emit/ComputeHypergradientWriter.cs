using System.Collections.Generic;
using System.Linq;
using Hypergrad.Generators.Extraction;
using Hypergrad.Generators.Model;
using static Hypergrad.Generators.Emit.BatchShape;
using static Hypergrad.Generators.Extraction.GeneratedNames;

namespace Hypergrad.Generators.Emit;

/// <summary>Writes <c>ComputeHypergradient(batches)</c>, typed by the objectives' parameter lists, forwarding to the problem.</summary>
internal static class ComputeHypergradientWriter
{
    public static void Write(IndentedWriter writer, ProblemModel model)
    {
        var parameters = new List<string>();
        var arguments = new List<string>();
        writer.Line("/// <summary>");
        if (model.FixedPointMap is { } map)
        {
            var batch = map.Method;
            AddBatch(batch, "batch", parameters, arguments);
            writer.Line($"/// Computes dF/dθ of {model.OuterObjective.Name} on one batch: finds the batch's equilibrium by iterating {batch.Name} (no graph),")
                  .Line($"/// then solves (I − Jᵀ) x = ∂F/∂z with J = ∂{batch.Name}/∂z (Method.{model.Settings.Method}), and accumulates dF/dθ into the")
                  .Line("/// outer variables' <c>.grad</c>. The equilibrium stays in the [Inner] state (see <c>BilevelProblem.LastEquilibrium</c>).")
                  .Line("/// </summary>");
            if (batch.Parameters.Count > 0)
                writer.Line($"/// <param name=\"batch\">The batch {batch.Name} and {model.OuterObjective.Name} are evaluated on.</param>");
            writer.Line("/// <returns>The gradient per outer variable and what the computation did (iterations, residual, …).</returns>");
        }
        else
        {
            var innerObjective = model.InnerObjective!;
            AddBatch(innerObjective, "innerBatch", parameters, arguments);
            AddBatch(model.OuterObjective, "outerBatch", parameters, arguments);
            if (MethodFamilies.IsJoint(model.Settings.Method))
                writer.Line($"/// Takes one iteration of Method.{model.Settings.Method} on these batches: steps the inner variables with <c>BilevelProblem.InnerOptimizer</c>")
                      .Line("/// (set it first) and the method's own state (kept between calls), and accumulates its λ direction, times the step schedule's")
                      .Line("/// factor, into the outer variables' <c>.grad</c>. <c>Run</c> draws new batches for every iteration.");
            else if (MethodFamilies.IsUnrolled(model.Settings.Method))
                writer.Line($"/// Computes the hypergradient dF/dλ of {model.OuterObjective.Name} with respect to the outer variables by Method.{model.Settings.Method}:")
                      .Line("/// unrolls <c>UnrollSteps</c> steps of <c>BilevelProblem.InnerOptimizer</c> (set it first) on the inner batch from the")
                      .Line("/// current inner variables, which end at the final iterate. Accumulates dF/dλ into the outer variables' <c>.grad</c>.");
            else
                writer.Line($"/// Computes the hypergradient dF/dλ of {model.OuterObjective.Name} with respect to the outer variables at the current inner")
                      .Line($"/// variables (Method.{model.Settings.Method}), and accumulates it into the outer variables' <c>.grad</c>.");
            writer.Line("/// </summary>");
            if (innerObjective.Parameters.Count > 0)
                writer.Line($"/// <param name=\"innerBatch\">The batch {innerObjective.Name} is evaluated on.</param>");
            if (model.OuterObjective.Parameters.Count > 0)
                writer.Line($"/// <param name=\"outerBatch\">The batch {model.OuterObjective.Name} is evaluated on.</param>");
            writer.Line("/// <returns>The hypergradient per outer variable and what the computation did (iterations, residual, …).</returns>");
        }
        writer.Line(ProblemFileWriter.GeneratedCodeAttribute)
              .Line($"{model.MemberAccessibility} {Result} {ComputeHypergradient}({string.Join(", ", parameters)}) =>");
        using (writer.Indent())
            writer.Line($"this.{BilevelProblem}.{ComputeHypergradient}({string.Join(", ", arguments)});");

        // A batch without parameters leaves the public method without that parameter: the interface's takes it.
        if (ProblemFileWriter.ImplementsInterface(model) && arguments.Contains("default"))
        {
            var batches = model.FixedPointMap is { } fixedPoint
                ? new[] { (fixedPoint.Method, "batch") }
                : new[] { (model.InnerObjective!, "innerBatch"), (model.OuterObjective, "outerBatch") };
            writer.Line()
                  .Line("/// <inheritdoc/>")
                  .Line(ProblemFileWriter.GeneratedCodeAttribute)
                  .Line($"{Result} {ProblemFileWriter.InterfaceType(model)}.{ComputeHypergradient}({string.Join(", ", batches.Select(b => $"{BatchType(b.Item1)} {b.Item2}"))}) =>");
            using (writer.Indent())
                writer.Line($"this.{BilevelProblem}.{ComputeHypergradient}({string.Join(", ", batches.Select(b => b.Item2))});");
        }
    }

    private const string Result = "global::Hypergrad.HypergradientResult";
}
