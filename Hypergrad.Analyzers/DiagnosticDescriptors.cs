using System.Linq;
using Microsoft.CodeAnalysis;

namespace Hypergrad.Analyzers;

/// <summary>
/// Every diagnostic Hypergrad reports (ids HG0001…; one page each under docs/diagnostics/). Linked into the
/// generator so that the extraction code it shares with the analyzers can name them; only analyzers report.
/// </summary>
internal static class DiagnosticDescriptors
{
    private const string Declaration = "Hypergrad.Declaration";
    private const string Differentiability = "Hypergrad.Differentiability";
    private const string Options = "Hypergrad.Options";

    /// <summary>
    /// The repository the help links point into, from the build's <c>HypergradRepositoryUrl</c> property
    /// (Directory.Build.props), which the Roslyn projects record as assembly metadata.
    /// </summary>
    public static readonly string RepositoryUrl = typeof(DiagnosticDescriptors).Assembly
        .GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), inherit: false)
        .OfType<System.Reflection.AssemblyMetadataAttribute>()
        .FirstOrDefault(a => a.Key == "HypergradRepositoryUrl")?.Value?.TrimEnd('/') ?? "";

    // Absolute, so that the link opens from an IDE and from the package (which does not carry docs/).
    private static string HelpLink(string id) => $"{RepositoryUrl}/blob/main/docs/diagnostics/{id}.md";

    private static DiagnosticDescriptor Create(string id, string title, string message, string category, DiagnosticSeverity severity, string description) =>
        new(id, title, message, category, severity, isEnabledByDefault: true, description: description, helpLinkUri: HelpLink(id));

    /// <summary>HG0001: the [Hypergradient] class (or a type containing it) is not partial.</summary>
    public static readonly DiagnosticDescriptor NotPartial = Create("HG0001",
        "Bilevel problem class must be partial",
        "'{0}' must be declared partial so that Hypergrad can generate its ComputeHypergradient and Run methods",
        Declaration, DiagnosticSeverity.Error,
        "The generator adds members to the class in another file; a class and every type containing it must be partial.");

    /// <summary>HG0002: no [InnerObjective] or no [OuterObjective] method.</summary>
    public static readonly DiagnosticDescriptor MissingObjective = Create("HG0002",
        "Bilevel problem has no objective of a kind",
        "'{0}' has no [{1}] method; add one method returning Tensor marked [{1}]",
        Declaration, DiagnosticSeverity.Error,
        "A bilevel problem needs exactly one [InnerObjective] (minimised over the inner variables) and one [OuterObjective] (whose hypergradient is computed).");

    /// <summary>HG0003: more than one method carries the same objective (or inner-step) attribute.</summary>
    public static readonly DiagnosticDescriptor DuplicateObjective = Create("HG0003",
        "Objective declared more than once",
        "'{0}' is a second [{1}] method in '{2}' (the first is '{3}'); keep exactly one",
        Declaration, DiagnosticSeverity.Error,
        "Exactly one method may carry [InnerObjective], [OuterObjective] or [InnerStep]; combine the terms into one method.");

    /// <summary>HG0004: an objective does not return a Tensor.</summary>
    public static readonly DiagnosticDescriptor ObjectiveNotTensor = Create("HG0004",
        "Objective must return Tensor",
        "Objective '{0}' returns '{1}'; objectives must return a scalar TorchSharp Tensor (the loss)",
        Declaration, DiagnosticSeverity.Error,
        "Hypergradients are derivatives of the objectives' values, so each objective returns the scalar loss Tensor (reduce it with .mean() or .sum()).");

    /// <summary>HG0005: [Inner]/[Outer] on a member whose type is not Module, Parameter or Tensor.</summary>
    public static readonly DiagnosticDescriptor UnsupportedVariableType = Create("HG0005",
        "Variable has an unsupported type",
        "[{0}] member '{1}' has type '{2}'; variables must be a TorchSharp Module, Parameter or Tensor",
        Declaration, DiagnosticSeverity.Error,
        "Inner and outer variables are the tensors that are differentiated: a Module (all its parameters), a Parameter or a Tensor.");

    /// <summary>HG0006: no [Inner] or no [Outer] member.</summary>
    public static readonly DiagnosticDescriptor MissingVariables = Create("HG0006",
        "Bilevel problem has no variables of a kind",
        "'{0}' has no [{1}] member; mark the {2} variables (a Module, Parameter or Tensor field or property) with [{1}]",
        Declaration, DiagnosticSeverity.Error,
        "A bilevel problem optimises inner variables w for given outer variables λ; both sets must be non-empty.");

    /// <summary>HG0007: an [Outer] variable that neither objective uses.</summary>
    /// <remarks>Reported at the end of the compilation: an optimizer anywhere in it may use the variable as a hyperparameter.</remarks>
    public static readonly DiagnosticDescriptor OuterVariableUnused = new("HG0007",
        "Outer variable is used by neither objective",
        "Outer variable '{0}' is used by neither '{1}' nor '{2}' nor any differentiable optimizer's hyperparameter, so its hypergradient is always zero",
        Declaration, DiagnosticSeverity.Warning, isEnabledByDefault: true,
        description: "An outer variable influences the outer objective only through the objectives or the inner optimizer's hyperparameters; if none uses it, it never changes.",
        helpLinkUri: HelpLink("HG0007"), customTags: WellKnownDiagnosticTags.CompilationEnd);

    /// <summary>HG0008: a built-in torch.optim optimizer where the computation must stay differentiable.</summary>
    public static readonly DiagnosticDescriptor BuiltInOptimizer = Create("HG0008",
        "Built-in optimizer cuts the autograd graph",
        "'{0}' uses a built-in torch.optim optimizer, which updates in place under no_grad, so '{1}' cannot be differentiated through it; use the differentiable {2} instead",
        Differentiability, DiagnosticSeverity.Error,
        "torch.optim optimizers update parameters in place without recording the autograd graph. Inside objectives and the methods of a class that differentiates through its inner steps, use Hypergrad.Optimizers.");

    /// <summary>HG0009: .detach() on a tracked (inner or outer) variable.</summary>
    public static readonly DiagnosticDescriptor DetachOnVariable = Create("HG0009",
        "detach() on a tracked variable",
        "'{0}' detaches tracked variable '{1}' in '{2}'; its hypergradient contribution is silently lost",
        Differentiability, DiagnosticSeverity.Warning,
        "A detached tensor is a constant for autograd: the hypergradient through it is zero. Use the variable itself.");

    /// <summary>HG0010: torch.no_grad() inside a differentiated method.</summary>
    public static readonly DiagnosticDescriptor NoGrad = Create("HG0010",
        "no_grad inside a differentiated method",
        "'{0}' disables gradient recording inside '{1}', which Hypergrad differentiates; remove it",
        Differentiability, DiagnosticSeverity.Warning,
        "Objectives (and inner steps of unrolled methods) are differentiated twice; code under no_grad contributes nothing.");

    /// <summary>HG0011: an in-place tensor method (name ending in '_') on a tracked variable.</summary>
    public static readonly DiagnosticDescriptor InPlaceOnVariable = Create("HG0011",
        "In-place operation on a tracked variable",
        "'{0}' modifies tracked variable '{1}' in place in '{2}'; use the out-of-place '{3}' instead",
        Differentiability, DiagnosticSeverity.Warning,
        "In-place methods overwrite values autograd saved for the backward pass (or modify a leaf that requires grad); use the out-of-place form.");

    /// <summary>HG0012: an option of [Hypergradient] is out of range.</summary>
    public static readonly DiagnosticDescriptor InvalidOption = Create("HG0012",
        "Invalid hypergradient option",
        "{0} = {1} is invalid: {2}",
        Options, DiagnosticSeverity.Error,
        "The options are checked by the same rules as the runtime's HypergradientSettings: Rank, Iterations, UnrollSteps and Truncation positive; Alpha positive and finite; Tolerance zero or positive and finite; Rho zero or positive (Nystrom: positive); TruncatedUnroll needs 0 < Truncation < UnrollSteps.");

    /// <summary>HG0013: an invalid BOAT-style combination of operations.</summary>
    public static readonly DiagnosticDescriptor InvalidComposition = Create("HG0013",
        "Invalid combination of bilevel operations",
        "Invalid combination of operations: {0}{1}",
        Options, DiagnosticSeverity.Error,
        "Operations compose in a validated order (for example IAD then CG or NS; RAD, FD and IGA last; DI and IAD exclusive).");

    /// <summary>HG0014: a declaration the generator cannot adapt (generic class, static variable, ref parameter, …).</summary>
    public static readonly DiagnosticDescriptor UnsupportedDeclaration = Create("HG0014",
        "Unsupported declaration in a bilevel problem",
        "'{0}' is not supported: {1}",
        Declaration, DiagnosticSeverity.Error,
        "The generator adapts the class's members to the runtime; this form of declaration cannot be adapted.");

    /// <summary>HG0015: a member marked both [Inner] and [Outer].</summary>
    public static readonly DiagnosticDescriptor BothInnerAndOuter = Create("HG0015",
        "Variable is both inner and outer",
        "'{0}' is marked both [Inner] and [Outer]; a variable belongs to one level",
        Declaration, DiagnosticSeverity.Error,
        "The inner problem is solved for fixed outer variables, so one tensor cannot be both.");

    /// <summary>HG0016: an option set that the chosen method does not use.</summary>
    public static readonly DiagnosticDescriptor OptionIgnored = Create("HG0016",
        "Option not used by the chosen method",
        "{0} is not used by {1} and is ignored",
        Options, DiagnosticSeverity.Warning,
        "Each method reads only its own options (for example Rank for Nystrom, Alpha for Neumann, FixedPoint and OptimizerSolve); the solver options also configure the implicit stage (ConjugateGradient, Neumann) of an Operations list. An option for another method has no effect.");

    /// <summary>HG0017: [Inner(InitializedFrom = …)] does not name an [Outer] member of the same kind.</summary>
    public static readonly DiagnosticDescriptor InvalidInitialization = Create("HG0017",
        "Invalid initialization of an inner variable",
        "[Inner] '{0}' is initialized from '{1}', {2}",
        Declaration, DiagnosticSeverity.Error,
        "InitializedFrom names the [Outer] meta-initialization an inner variable is reset to before each outer step; it must be an [Outer] member of the same kind (Module for a Module, Parameter or Tensor otherwise).");

    /// <summary>HG0018: a [FixedPointMap] class also declares an [InnerObjective] or [InnerStep].</summary>
    public static readonly DiagnosticDescriptor FixedPointMapWithInnerObjective = Create("HG0018",
        "Fixed-point map and inner objective together",
        "'{0}' has both [FixedPointMap] '{1}' and [{2}] '{3}'; the equilibrium state is found by iterating the map, so remove [{2}]",
        Declaration, DiagnosticSeverity.Error,
        "A problem is defined either by an inner objective (minimised over the inner variables) or by a fixed-point map (whose fixed point is the inner state), not both.");

    /// <summary>HG0019: a [FixedPointMap] with the wrong signature, state or batch.</summary>
    public static readonly DiagnosticDescriptor InvalidFixedPointMap = Create("HG0019",
        "Invalid fixed-point map declaration",
        "[FixedPointMap] '{0}': {1}",
        Declaration, DiagnosticSeverity.Error,
        "A fixed-point map is 'Tensor Map(Tensor z, <batch>)' or 'Func<Tensor, Tensor> Map(<batch>)'; its state z is the class's single [Inner] Tensor, and the [OuterObjective] takes the same batch.");

    /// <summary>HG0020: a method that cannot solve the non-symmetric system of a fixed-point map.</summary>
    public static readonly DiagnosticDescriptor MethodNeedsSymmetricMatrix = Create("HG0020",
        "Method cannot solve a fixed-point map's system",
        "Method.{0} {1}; use Method.FixedPoint, ConjugateGradientNormal, Neumann or Exact with a [FixedPointMap]",
        Options, DiagnosticSeverity.Error,
        "The hypergradient of a fixed-point map solves (I − Jᵀ) x = v with J = ∂Φ/∂z, which is not symmetric: CG, Nyström and the optimizer solve assume a symmetric matrix, and unrolled methods need inner optimizer steps.");

    /// <summary>HG0021: a member of the class has the name of a member the generator adds.</summary>
    public static readonly DiagnosticDescriptor GeneratedMemberClash = Create("HG0021",
        "Member clashes with a generated member",
        "'{0}' has the name of a member Hypergrad generates in '{1}' ({2}); rename it",
        Declaration, DiagnosticSeverity.Error,
        "The generator adds BilevelProblem, ComputeHypergradient and Run (and the private members behind them) to the class; a member, nested type or class with one of these names would clash with them.");

    /// <summary>HG0022: the project's C# version is older than the generated code needs.</summary>
    public static readonly DiagnosticDescriptor LanguageVersionTooOld = Create("HG0022",
        "C# version too old for generated code",
        "'{0}' is compiled as C# {1}, but the code Hypergrad generates needs C# 9 or later; set <LangVersion>9</LangVersion> or later in the project",
        Declaration, DiagnosticSeverity.Error,
        "The generated members use nullable annotations and set the runtime's init-only settings, which need C# 9. Projects targeting .NET 5 or later use C# 9 or later by default.");

    /// <summary>HG0023: a Hypergrad member attribute on a class that is not a bilevel problem.</summary>
    public static readonly DiagnosticDescriptor MemberAttributeWithoutProblem = Create("HG0023",
        "Member attribute outside a bilevel problem",
        "[{0}] on '{1}' has no effect: '{2}' has no [Hypergradient] attribute and no [Hypergradient] class derives from it; add [Hypergradient(Method.…)] to the class",
        Declaration, DiagnosticSeverity.Warning,
        "[Inner], [Outer], [InnerObjective], [OuterObjective], [InnerStep] and [FixedPointMap] are read only in a [Hypergradient] class (or its base classes); elsewhere nothing is generated for them.");

    /// <summary>HG0030: [Outer(Min = …, Max = …)] bounds that are not an interval.</summary>
    public static readonly DiagnosticDescriptor InvalidOuterBounds = Create("HG0030",
        "Invalid bounds of an outer variable",
        "[Outer] '{0}' has invalid bounds: {1}; set Min ≤ Max (leave a side unset for no bound)",
        Declaration, DiagnosticSeverity.Error,
        "After every outer step, Run clamps an outer variable into [Min, Max]; the bounds must be numbers with Min ≤ Max (an unset bound is infinite).");

    /// <summary>HG0031: a differentiable optimizer's hyperparameter computed once from an [Outer] member.</summary>
    public static readonly DiagnosticDescriptor HyperparameterEvaluatedOnce = Create("HG0031",
        "Optimizer hyperparameter computed once from an outer variable",
        "'{0}' is computed from outer variable '{1}' once, when the optimizer is created; after an outer step changes '{1}' the optimizer keeps the old value, so later hypergradients are wrong. Pass a function evaluated at every step: {2}",
        Differentiability, DiagnosticSeverity.Warning,
        "A differentiable optimizer's learning rate, momentum or weight decay may depend on outer variables, but an expression evaluated once is a snapshot: the optimizer refuses such a tensor at run time. Give the expression as a function (new DifferentiableSgd(() => LogLr.exp()), or Hyperparameter.PerStep(() => …) for other hyperparameters), or pass the outer variable itself.");

    // HG0040 on: ids kept apart from other series so parallel work cannot collide.

    /// <summary>HG0040: backward() inside an objective or fixed-point map.</summary>
    public static readonly DiagnosticDescriptor BackwardInObjective = Create("HG0040",
        "backward() inside an objective",
        "'{0}' runs a backward pass inside '{1}'; return the loss instead: Hypergrad differentiates '{1}' itself",
        Differentiability, DiagnosticSeverity.Error,
        "A backward() frees the autograd graph that Hypergrad differentiates next (libtorch then aborts the process) and adds to the variables' .grad. Objectives and fixed-point maps only compute and return their value.");

    /// <summary>HG0041: an [Inner]/[Outer] variable disposed inside an objective (Dispose() or a using).</summary>
    public static readonly DiagnosticDescriptor VariableDisposedInObjective = Create("HG0041",
        "Tracked variable disposed inside an objective",
        "'{0}' disposes the tracked variable '{1}' inside '{2}'; variables belong to the problem, so never dispose them there",
        Differentiability, DiagnosticSeverity.Error,
        "Disposing an [Inner]/[Outer] variable (Dispose(), or a using declaration or statement over it) frees the tensor the problem trains; libtorch crashes when it is differentiated. Dispose only the temporaries the objective creates (or use a dispose scope).");

    /// <summary>HG0050: an [InnerStep] with a joint (single-loop or Hessian-free) method, which steps the inner variables itself.</summary>
    public static readonly DiagnosticDescriptor JointMethodWithInnerStep = Create("HG0050",
        "Inner step with a joint method",
        "'{0}' cannot be used with Method.{1}, which steps the inner variables itself along its own direction (with BilevelOptions.InnerOptimizer); remove the [InnerStep] method or choose an implicit method",
        Declaration, DiagnosticSeverity.Error,
        "Single-loop and Hessian-free methods (Soba, Saba, MaSoba, Amigo, StocBio, F2sa, Bome, Pgdm) step w, their own state and λ together; a user's inner update would be bypassed.");

    /// <summary>HG0051: [Inner(InitializedFrom = …)] with a joint method.</summary>
    public static readonly DiagnosticDescriptor JointMethodWithInitialization = Create("HG0051",
        "Meta-learning initialization with a joint method",
        "'{0}' is reset to '{1}' before each outer step, but Method.{2} never restarts the inner variables (every step is an outer step of one continuing inner trajectory); remove InitializedFrom or choose an implicit or unrolled method",
        Declaration, DiagnosticSeverity.Error,
        "The joint methods track the inner solution w*(λ) as λ moves; resetting w to a meta-initialization every step would discard that tracking. Meta-learning uses implicit (iMAML) or unrolled (MAML) methods.");

    /// <summary>HG0052: Saba with a decreasing step schedule.</summary>
    public static readonly DiagnosticDescriptor SabaWithDecreasingSteps = Create("HG0052",
        "SABA with decreasing steps",
        "Method.Saba with StepExponent = {0}: SABA's variance reduction converges with constant steps, a decreasing schedule only slows it; remove StepExponent (or use Method.Soba for a decreasing schedule)",
        Options, DiagnosticSeverity.Warning,
        "SABA (Dagréou et al. 2022) removes the minibatch noise with per-batch memory, so its steps stay constant; the schedule 1/(t + 1)^a is for SOBA-type methods.");
}
