namespace Hypergrad.Generators.Model;

/// <summary>
/// Everything the generator needs to emit the glue of one <c>[Hypergradient]</c> class. Holds only strings,
/// numbers, enums and <see cref="EquatableArray{T}"/>s (never a Roslyn symbol, syntax node or location), so that
/// equal declarations give equal models and the pipeline's output step stays cached.
/// </summary>
/// <param name="Namespace">The class's namespace, or empty for the global namespace.</param>
/// <param name="ContainingTypes">Declarations of enclosing types, outermost first (e.g. "partial class Outer").</param>
/// <param name="ClassName">The class's name.</param>
/// <param name="HintName">File name of the generated source (unique per class).</param>
/// <param name="Settings">The method and options of the <c>[Hypergradient]</c> attribute.</param>
/// <param name="Inner">Inner variables w in declaration order.</param>
/// <param name="Outer">Outer variables λ in declaration order.</param>
/// <param name="InnerObjective">The <c>[InnerObjective]</c> method, or null for a <c>[FixedPointMap]</c> problem.</param>
/// <param name="OuterObjective">The <c>[OuterObjective]</c> method.</param>
/// <param name="InnerStep">The optional <c>[InnerStep]</c> method, or null.</param>
/// <param name="FixedPointMap">The <c>[FixedPointMap]</c> method of an equilibrium problem, or null.</param>
/// <param name="MemberAccessibility">
/// The generated members' accessibility ("public", "internal" or "private"): the widest their batch types allow, so a
/// private batch type gives private members instead of CS0051.
/// </param>
/// <param name="ImplementsInterface">
/// True when the class can implement the runtime's problem-class interface: public members and no <c>dynamic</c> in a
/// batch type (CS1966).
/// </param>
internal sealed record ProblemModel(
    string Namespace,
    EquatableArray<string> ContainingTypes,
    string ClassName,
    string HintName,
    SettingsModel Settings,
    EquatableArray<VariableModel> Inner,
    EquatableArray<VariableModel> Outer,
    MethodModel? InnerObjective,
    MethodModel OuterObjective,
    MethodModel? InnerStep,
    FixedPointMapModel? FixedPointMap = null,
    string MemberAccessibility = "public",
    bool ImplementsInterface = true);

/// <summary>A <c>[FixedPointMap]</c> method.</summary>
/// <param name="Method">Its name and its batch parameters (without the state z).</param>
/// <param name="ReturnsMap">True for <c>Func&lt;Tensor, Tensor&gt; Map(batch)</c>, false for <c>Tensor Map(Tensor z, batch)</c>.</param>
internal sealed record FixedPointMapModel(MethodModel Method, bool ReturnsMap);

/// <summary>What kind of TorchSharp object a variable member holds.</summary>
internal enum VariableKind
{
    /// <summary>A <c>torch.nn.Module</c>: all its parameters, named "Member.parameter".</summary>
    Module,
    /// <summary>A <c>Parameter</c> (a leaf tensor that requires grad).</summary>
    Parameter,
    /// <summary>A plain <c>Tensor</c> (must require grad at run time).</summary>
    Tensor,
}

/// <summary>An <c>[Inner]</c> or <c>[Outer]</c> member.</summary>
/// <param name="Name">The member's name, which is also the stable name of its tensors.</param>
/// <param name="Kind">What it holds.</param>
/// <param name="TypeName">Its fully qualified type, as written in generated code.</param>
/// <param name="InitializedFrom">Inner variables: the [Outer] member it is reset to before each outer step's inner steps, or null.</param>
/// <param name="Min">Outer variables: [Outer(Min = …)], or null when unbounded below.</param>
/// <param name="Max">Outer variables: [Outer(Max = …)], or null when unbounded above.</param>
internal sealed record VariableModel(string Name, VariableKind Kind, string TypeName, string? InitializedFrom = null, double? Min = null, double? Max = null)
{
    /// <summary>True when the variable has a finite bound.</summary>
    public bool IsBounded => Min is not null || Max is not null;
}

/// <summary>An objective or inner-step method: its name and its batch (the parameter list).</summary>
/// <param name="Name">The method's name (without '@').</param>
/// <param name="Parameters">Its parameters: the batch's elements.</param>
/// <param name="Receiver">What the generated code calls it on: "this", or the fully qualified class of a static method.</param>
internal sealed record MethodModel(string Name, EquatableArray<ParameterModel> Parameters, string Receiver = "this");

/// <summary>One parameter of an objective: one element of the batch tuple it consumes.</summary>
/// <param name="Name">The parameter's name (without '@'; the tuple element's name unless C# reserves it there).</param>
/// <param name="TypeName">Its fully qualified type.</param>
internal sealed record ParameterModel(string Name, string TypeName);

/// <summary>
/// The <c>[Hypergradient]</c> attribute's method and the options the user set explicitly (null: runtime default).
/// </summary>
internal sealed record SettingsModel(
    Method Method,
    int? Rank,
    double? Rho,
    int? Iterations,
    double? Tolerance,
    double? Alpha,
    int? Seed,
    bool? WarmStart,
    int? Truncation,
    int? UnrollSteps,
    EquatableArray<Operation> Operations,
    double? AggregationAlpha,
    double? AggregationDecay,
    int? EquilibriumIterations = null,
    double? EquilibriumTolerance = null,
    bool? EquilibriumWarmStart = null,
    NystromSampling? Sampling = null,
    int? SketchRefresh = null);
