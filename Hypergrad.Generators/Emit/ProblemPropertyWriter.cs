using System.Linq;
using Hypergrad.Generators.Extraction;
using Hypergrad.Generators.Model;
using static Hypergrad.Generators.Emit.BatchShape;
using static Hypergrad.Generators.Extraction.GeneratedNames;

namespace Hypergrad.Generators.Emit;

/// <summary>
/// Writes the <c>BilevelProblem</c> property: the class as the runtime sees it (a <c>BilevelProblem</c>, or a
/// <c>FixedPointProblem</c> for a <c>[FixedPointMap]</c> class), built on first use by a private factory.
/// </summary>
internal static class ProblemPropertyWriter
{
    /// <summary>The runtime type the class is described as.</summary>
    public static string ProblemType(ProblemModel model) => model.FixedPointMap is { } map
        ? $"{Solving}.FixedPointProblem<{BatchType(map.Method)}>"
        : $"{Solving}.BilevelProblem<{BatchType(model.InnerObjective!)}, {BatchType(model.OuterObjective)}>";

    public static void Write(IndentedWriter writer, ProblemModel model)
    {
        string problemType = ProblemType(model);
        writer.Line(ProblemFileWriter.GeneratedCodeAttribute)
              .Line($"private {problemType}? {ProblemField};")
              .Line()
              .Line("/// <summary>");
        if (model.FixedPointMap is { } map)
            writer.Line($"/// This class as the runtime sees it: equilibrium state {Names(model.Inner)} = {map.Method.Name}(state) on each batch, trained")
                  .Line($"/// (outer) variables {Names(model.Outer)}, loss {model.OuterObjective.Name} at the equilibrium, hypergradients by Method.{model.Settings.Method}.");
        else
            writer.Line($"/// This class as the runtime sees it: inner variables {Names(model.Inner)}, outer variables {Names(model.Outer)},")
                  .Line($"/// objectives {model.InnerObjective!.Name} and {model.OuterObjective.Name}, hypergradients by Method.{model.Settings.Method}.");
        // Hidden from the debugger's watch windows: evaluating it builds the problem, which moves the variables' storage.
        writer.Line("/// Built on first use, after the constructor has created the variables.")
              .Line("/// </summary>")
              .Line(ProblemFileWriter.GeneratedCodeAttribute)
              .Line("[global::System.Diagnostics.DebuggerBrowsable(global::System.Diagnostics.DebuggerBrowsableState.Never)]")
              .Line($"{model.MemberAccessibility} {problemType} {BilevelProblem} => this.{ProblemField} ??= this.{CreateProblem}();")
              .Line();

        writer.Line(ProblemFileWriter.GeneratedCodeAttribute);
        using (writer.Block($"private {problemType} {CreateProblem}()"))
        {
            SettingsWriter.Write(writer, model.Settings, Settings);
            writer.Line();
            bool equilibrium = model.FixedPointMap is not null;
            writer.Line(equilibrium
                ? "// The equilibrium state z: found again for every batch by iterating the map."
                : "// Inner variables w: one flat buffer with a named view per tensor (\"Member\" or \"Member.parameter\"), in declaration order.");
            WriteParameterSet(writer, InnerVariables, model.Inner);
            writer.Line(equilibrium
                ? "// The trained variables θ: their gradients accumulate into .grad."
                : "// Outer variables λ: their hypergradients accumulate into .grad.");
            WriteParameterSet(writer, OuterVariables, model.Outer);
            writer.Line();

            writer.Line($"return new {problemType}(");
            using (writer.Indent())
            {
                writer.Line($"name: \"{model.ClassName}\",");
                writer.Line($"settings: {Settings},");
                writer.Line($"innerVariables: {InnerVariables},");
                writer.Line($"outerVariables: {OuterVariables},");
                if (model.FixedPointMap is { } fixedPointMap)
                    WriteMapArguments(writer, model, fixedPointMap);
                else
                    WriteObjectiveArguments(writer, model);
            }
        }
    }

    private static void WriteParameterSet(IndentedWriter writer, string name, EquatableArray<VariableModel> variables)
    {
        writer.Line($"global::Hypergrad.Parameters.ParameterSet {name} = new global::Hypergrad.Parameters.ParameterSet(");
        using (writer.Indent())
            for (int i = 0; i < variables.Count; i++)
            {
                var variable = variables[i];
                string factory = variable.Kind == VariableKind.Module ? "FromModule" : "FromTensor";
                string end = i == variables.Count - 1 ? ");" : ",";
                writer.Line($"global::Hypergrad.Parameters.ParameterSource.{factory}(\"{variable.Name}\", this.{KnownNames.Identifier(variable.Name)}){end}");
            }
    }

    private static void WriteObjectiveArguments(IndentedWriter writer, ProblemModel model)
    {
        var innerObjective = model.InnerObjective!;
        writer.Line("// g(w, λ) on one inner batch, evaluated at the variables' current (or substituted) values.");
        writer.Line($"innerObjective: new {Solving}.Objective<{BatchType(innerObjective)}>(\"{innerObjective.Name}\", {Lambda(innerObjective, innerObjective)}),");
        writer.Line("// F(w, λ) on one outer batch.");
        writer.Line($"outerObjective: new {Solving}.Objective<{BatchType(model.OuterObjective)}>(\"{model.OuterObjective.Name}\", {Lambda(model.OuterObjective, model.OuterObjective)}),");
        var initializations = model.Inner.Where(v => v.InitializedFrom is not null).ToList();
        if (initializations.Count > 0)
        {
            writer.Line("// Meta-learning: inner variables reset to their [Outer] initialization before each outer step's inner steps.");
            writer.Line("initializations: new[] { " + string.Join(", ", initializations.Select(v => $"(\"{v.Name}\", \"{v.InitializedFrom}\")")) + " },");
        }
        if (model.InnerStep is { } step)
        {
            writer.Line("// The user's own inner update, called by Run instead of the configured inner optimizer.");
            writer.Line($"innerStep: new {Solving}.InnerStep<{BatchType(innerObjective)}>(\"{step.Name}\", {Lambda(innerObjective, step)}));");
        }
        else
            writer.Line("innerStep: null);");
    }

    private static void WriteMapArguments(IndentedWriter writer, ProblemModel model, FixedPointMapModel map)
    {
        string batchType = BatchType(map.Method);
        writer.Line("// Φ(·; θ, batch): the map of one batch, evaluated at the variables' current (or substituted) values.");
        writer.Line($"fixedPointMap: new {Solving}.FixedPointMapOfBatch<{batchType}>(\"{map.Method.Name}\", {MapLambda(map)}),");
        writer.Line("// F at the equilibrium, on the same batch.");
        writer.Line($"outerObjective: new {Solving}.Objective<{batchType}>(\"{model.OuterObjective.Name}\", {Lambda(map.Method, model.OuterObjective)}));");
    }

    /// <summary>batch ↦ (z ↦ Φ(z)) from either form of the user's method.</summary>
    private static string MapLambda(FixedPointMapModel map)
    {
        var elements = Elements(map.Method);
        return map.ReturnsMap
            ? $"{Batch} => {Call(map.Method, elements)}"
            : $"{Batch} => {State} => {Call(map.Method, new[] { State }.Concat(elements))}";
    }
}
