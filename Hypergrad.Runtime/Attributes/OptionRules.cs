// THE rules of the [Hypergradient] options, in one place: per option and per method, whether it applies, its
// range, its default and the message. Like CompositionRules.cs this file uses only the BCL of netstandard2.0 (no
// TorchSharp, records, init accessors), so the generator and analyzers link it: HG0012/HG0016 at compile time and
// HypergradientSettings' validation at run time apply the same rule with the same words.
//
// Unset and 0 are decided once, here: an option left unset (not named in the attribute, null in
// HypergradientSettings) takes the default below; any value given, 0 included, must pass the rule's range. So
// Rho = 0 is "no ridge" (valid except for Nystrom), Seed = 0 is seed 0, Tolerance = 0 is "never stop early" (run
// every iteration; the result reports the residual reached), and Iterations/Alpha/Rank = 0 are refused rather than
// read as "default".
//
// Adding an option is one entry in OptionRules.All, one property on HypergradientAttribute and one on
// HypergradientSettings (a test fails when these disagree), and the code that uses it.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Hypergrad.Unrolled;

namespace Hypergrad;

/// <summary>What an option's value is written as.</summary>
internal enum OptionType
{
    /// <summary>An int.</summary>
    Integer,
    /// <summary>A double.</summary>
    Real,
    /// <summary>A bool.</summary>
    Flag,
    /// <summary>An array of <see cref="Operation"/>s.</summary>
    Operations,
    /// <summary>A value of an enum (<see cref="OptionRule.EnumType"/>), e.g. a sketch kind.</summary>
    Choice,
}

/// <summary>What the options of one problem are checked against: its method, its composition, its kind.</summary>
internal sealed class OptionContext
{
    /// <summary>Creates the context.</summary>
    public OptionContext(Method method, IReadOnlyList<Operation>? operations, bool fixedPointMap)
    {
        Method = method;
        Operations = operations ?? Array.Empty<Operation>();
        FixedPointMap = fixedPointMap;
    }

    /// <summary>The attribute's method.</summary>
    public Method Method { get; }

    /// <summary>The composition (empty when none).</summary>
    public IReadOnlyList<Operation> Operations { get; }

    /// <summary>True for a <c>[FixedPointMap]</c> (equilibrium) problem.</summary>
    public bool FixedPointMap { get; }

    /// <summary>True when the composition contains <paramref name="operation"/>.</summary>
    public bool Has(Operation operation) => Operations.Contains(operation);

    /// <summary>
    /// The method of the linear solve that the solver options (Iterations, Tolerance, Rho, Alpha, WarmStart, …)
    /// configure: the method itself when it is implicit, the implicit stage (CG or NS) of a composition, else null.
    /// </summary>
    public Method? LinearSolve =>
        MethodFamilies.Of(Method) == MethodFamily.Implicit ? Method :
        Has(Operation.ConjugateGradient) ? Method.ConjugateGradient :
        Has(Operation.Neumann) ? Method.Neumann : (Method?)null;

    /// <summary>"Method.X" or "Method.X with [composition]" for messages.</summary>
    public string Describe() => Operations.Count == 0 ? $"Method.{Method}" : $"Method.{Method} with {CompositionRules.Describe(Operations)}";
}

/// <summary>One option of <c>[Hypergradient]</c>: where it applies, its range, its default.</summary>
internal sealed class OptionRule
{
    private readonly Func<OptionContext, bool> appliesTo;
    private readonly Func<OptionContext, double, string?> whyInvalid;
    private readonly Func<OptionContext, double?> defaultValue;

    /// <summary>Creates a rule.</summary>
    public OptionRule(string name, OptionType type, string summary, string appliesToText, Func<OptionContext, bool> appliesTo,
        Func<OptionContext, double, string?> whyInvalid, string range, Func<OptionContext, double?> defaultValue, string unset, Type? enumType = null)
    {
        EnumType = enumType;
        Range = range;
        Name = name;
        Type = type;
        Summary = summary;
        AppliesToText = appliesToText;
        this.appliesTo = appliesTo;
        this.whyInvalid = whyInvalid;
        this.defaultValue = defaultValue;
        Unset = unset;
    }

    /// <summary>The enum of a <see cref="OptionType.Choice"/> option (its values are checked with <see cref="Enum.IsDefined"/>), else null.</summary>
    public Type? EnumType { get; }

    /// <summary>The property's name, the same on the attribute and on <c>HypergradientSettings</c>.</summary>
    public string Name { get; }

    /// <summary>How its value is written.</summary>
    public OptionType Type { get; }

    /// <summary>What it sets.</summary>
    public string Summary { get; }

    /// <summary>Where it applies, in words (for the docs and HG0016).</summary>
    public string AppliesToText { get; }

    /// <summary>Its valid values in words (the docs); <see cref="WhyInvalid"/> decides.</summary>
    public string Range { get; }

    /// <summary>What leaving it unset means.</summary>
    public string Unset { get; }

    /// <summary>True when the option is read by a problem of <paramref name="context"/> (HG0016 otherwise).</summary>
    public bool AppliesTo(OptionContext context) => appliesTo(context);

    /// <summary>
    /// Why <paramref name="value"/> (an int or bool as a double: true = 1) is out of range for <paramref name="context"/>,
    /// or null when it is valid. Checked whether or not the option applies.
    /// </summary>
    public string? WhyInvalid(OptionContext context, double value) =>
        EnumType is not null && !Enum.IsDefined(EnumType, (int)value) ? $"it is not a {EnumType.Name} (one of {string.Join(", ", Enum.GetNames(EnumType))})" : whyInvalid(context, value);

    /// <summary>The value used when the option is unset (null: none, or decided at run time; see <see cref="Unset"/>).</summary>
    public double? Default(OptionContext context) => defaultValue(context);

    /// <summary>HG0012's message, which the runtime throws too: "Name = value is invalid: reason".</summary>
    public string Message(double value, string reason) => $"{Name} = {Format(value)} is invalid: {reason}";

    /// <summary>A value as the attribute would have it written (ints without a decimal point, bools as true/false, enum names).</summary>
    public string Format(double value) =>
        EnumType is not null ? (Enum.GetName(EnumType, (int)value) is { } name ? $"{EnumType.Name}.{name}" : $"({EnumType.Name}){(int)value}") : OptionRules.Format(Type, value);
}

/// <summary>The options of <c>[Hypergradient]</c> and their rules; read by extraction, analyzers and the runtime.</summary>
internal static class OptionRules
{
    private static readonly Method[] LinearSolvers = { Method.ConjugateGradient, Method.ConjugateGradientNormal, Method.Neumann, Method.FixedPoint, Method.OptimizerSolve, Method.NystromConjugateGradient };
    private static readonly Method[] Sketching = { Method.Nystrom, Method.NystromConjugateGradient };

    private static bool SolvesWith(OptionContext c, params Method[] methods) => c.LinearSolve is Method m && methods.Contains(m);

    private static string? PositiveInteger(double v, string why) => v >= 1 ? null : $"it must be positive ({why})";

    private static string? PositiveFinite(double v, string why) => v > 0 && !double.IsInfinity(v) ? null : $"it must be positive and finite ({why})";

    private static string? NonNegativeFinite(double v, string why) => v >= 0 && !double.IsInfinity(v) ? null : $"it must be zero or positive and finite ({why})";

    /// <summary>Nyström: number of Hessian rows k sampled.</summary>
    public static readonly OptionRule Rank = new OptionRule("Rank", OptionType.Integer,
        "Nyström: number k of products of its sketch; NystromConjugateGradient: its preconditioner's sketch size", "Nystrom, NystromConjugateGradient",
        c => SolvesWith(c, Sketching),
        (c, v) => PositiveInteger(v, "Nyström needs at least one Hessian row"),
        "≥ 1",
        c => c.LinearSolve == Method.NystromConjugateGradient ? 10 : 5, "5 for Nystrom, 10 for NystromConjugateGradient");

    /// <summary>How a Nyström sketch chooses its test vectors.</summary>
    public static readonly OptionRule Sampling = new OptionRule("Sampling", OptionType.Choice,
        "how the sketch's test vectors are chosen (coordinates or Gaussian)", "Nystrom, NystromConjugateGradient",
        c => SolvesWith(c, Sketching),
        (c, v) => null,
        "NystromSampling.Columns or NystromSampling.Gaussian",
        c => c.LinearSolve == Method.NystromConjugateGradient ? (double)NystromSampling.Gaussian : (double)NystromSampling.Columns,
        "Columns for Nystrom, Gaussian for NystromConjugateGradient", typeof(NystromSampling));

    /// <summary>NystromConjugateGradient: outer steps between two rebuilds of its preconditioner's sketch.</summary>
    public static readonly OptionRule SketchRefresh = new OptionRule("SketchRefresh", OptionType.Integer,
        "outer steps between two rebuilds of the preconditioner's sketch (also rebuilt when the iteration count rises)", "NystromConjugateGradient",
        c => SolvesWith(c, Method.NystromConjugateGradient),
        (c, v) => PositiveInteger(v, "the sketch is used for at least one outer step"),
        "≥ 1",
        c => 10, "10");

    /// <summary>The ridge ρ: Nyström's (H + ρI)⁻¹, damping added to H for the other linear solves.</summary>
    public static readonly OptionRule Rho = new OptionRule("Rho", OptionType.Real,
        "the ridge ρ of (H + ρI) x = v (Nyström: of its low-rank (H + ρI)⁻¹); 0 is no ridge", "implicit methods and the implicit stage of a composition",
        c => c.LinearSolve is not null,
        (c, v) => c.LinearSolve == Method.Nystrom
            ? PositiveFinite(v, "Nyström approximates (H + ρI)⁻¹ from a low-rank H and needs ρ > 0; use e.g. Rho = 0.1, or Method.Exact for an undamped solve")
            : v >= 0 && !double.IsInfinity(v) ? null : "the ridge ρ must be zero or positive and finite",
        "≥ 0 and finite; Nystrom: > 0",
        c => c.LinearSolve == Method.Nystrom ? 0.1 : 0.0, "0.1 for Nystrom, 0 (no ridge) otherwise");

    /// <summary>Iteration budget K of the linear solve.</summary>
    public static readonly OptionRule Iterations = new OptionRule("Iterations", OptionType.Integer,
        "iteration budget K of the linear solve (Neumann: K + 1 terms); Amigo: SGD steps on z per outer step; StocBio: terms of its stochastic Neumann series",
        "ConjugateGradient, ConjugateGradientNormal, Neumann, FixedPoint, OptimizerSolve, the implicit stage of a composition, Amigo, StocBio",
        c => SolvesWith(c, LinearSolvers) || c.Method is Method.Amigo or Method.StocBio,
        (c, v) => PositiveInteger(v, "the solve needs at least one iteration"),
        "≥ 1 (int.MaxValue allowed)",
        c => c.Method is Method.Amigo or Method.StocBio ? 10 : 100, "100; 10 for Amigo and StocBio");

    /// <summary>Relative residual at which the solve stops (and below which its result counts as converged).</summary>
    public static readonly OptionRule Tolerance = new OptionRule("Tolerance", OptionType.Real,
        "implicit: relative residual ‖Ax − v‖/‖v‖ at which the solve stops and counts as converged; unrolled: the bound on the final iterate's inner stationarity ‖∇g(w_T)‖/‖∇g(w_0)‖ that makes the result converged; joint methods: the bound on the step's z residual ‖Hz − ∇_wF‖/‖∇_wF‖ (single-loop) and inner stationarity ‖∇g(w_t)‖/‖∇g(w_0)‖ that makes it converged",
        "every method (with a composition's implicit stage, both)",
        c => c.LinearSolve is not null || MethodFamilies.Of(c.Method) is MethodFamily.Unrolled or MethodFamily.SingleLoop or MethodFamily.HessianFree,
        (c, v) => NonNegativeFinite(v, "the relative residual to stop at; 0 runs every iteration"),
        "≥ 0 and finite; 0 runs every iteration (the result then says how far it got)",
        c => 1e-6, "1e-6");

    /// <summary>Step α of Neumann and FixedPoint, learning rate of OptimizerSolve.</summary>
    public static readonly OptionRule Alpha = new OptionRule("Alpha", OptionType.Real,
        "step α: Neumann's series step, FixedPoint's damped update x ← x + α(v − Ax), OptimizerSolve's learning rate", "Neumann, FixedPoint, OptimizerSolve and a composition's Neumann stage",
        c => SolvesWith(c, Method.Neumann, Method.FixedPoint, Method.OptimizerSolve),
        (c, v) => PositiveFinite(v, c.LinearSolve == Method.OptimizerSolve ? "the optimizer's learning rate" : "the iteration converges for 0 < α < 2/λ_max(A)"),
        "> 0 and finite",
        c => c.FixedPointMap && c.LinearSolve == Method.FixedPoint ? 1.0 : (double?)null,
        "1/λ̂_max of H + ρI by a few power iterations, reported in the result's StepSize (FixedPoint on a [FixedPointMap]: 1)");

    /// <summary>Seed of Nyström's row sample.</summary>
    public static readonly OptionRule Seed = new OptionRule("Seed", OptionType.Integer,
        "seed of Nyström's row sample (same seed, same hypergradient)", "Nystrom",
        c => SolvesWith(c, Sketching),
        (c, v) => v >= 0 ? null : "the seed must not be negative",
        "≥ 0",
        c => 0, "0");

    /// <summary>Start each linear solve from the previous outer step's solution.</summary>
    public static readonly OptionRule WarmStart = new OptionRule("WarmStart", OptionType.Flag,
        "start each linear solve from the previous outer step's solution", "ConjugateGradient, ConjugateGradientNormal, Neumann, FixedPoint, OptimizerSolve",
        c => MethodFamilies.Of(c.Method) == MethodFamily.Implicit && SolvesWith(c, LinearSolvers),
        (c, v) => null,
        "true or false",
        c => 0, "false");

    /// <summary>Truncated unroll: number K of last inner steps differentiated through.</summary>
    public static readonly OptionRule Truncation = new OptionRule("Truncation", OptionType.Integer,
        "number K of last inner steps differentiated through (0 < K < UnrollSteps)", "TruncatedUnroll (method or operation)",
        UsesTruncation,
        (c, v) => PositiveInteger(v, "at least one inner step must be differentiated through"),
        "0 < Truncation < UnrollSteps",
        c => null, "required by TruncatedUnroll");

    /// <summary>Inner steps between two outer steps (unrolled methods: the trajectory differentiated through).</summary>
    public static readonly OptionRule UnrollSteps = new OptionRule("UnrollSteps", OptionType.Integer,
        "inner steps between two outer steps (unrolled methods: the length of the trajectory differentiated through)", "every problem without a [FixedPointMap], except the joint methods (single-loop and Hessian-free)",
        c => !c.FixedPointMap && !MethodFamilies.IsJoint(c.Method),
        (c, v) => PositiveInteger(v, "at least one inner step must separate two outer steps"),
        "≥ 1",
        c => 10, "10 (BilevelOptions.UnrollSteps overrides it for one run)");

    /// <summary>A BOAT-style composition computed instead of the method's own.</summary>
    public static readonly OptionRule Operations = new OptionRule("Operations", OptionType.Operations,
        "a BOAT-style composition computed instead of the method's own", "unrolled methods",
        c => MethodFamilies.Of(c.Method) == MethodFamily.Unrolled,
        (c, v) => null,
        "a valid composition (HG0013)",
        c => null, "the method's own computation");

    /// <summary>GradientDescentAggregation's α₀.</summary>
    public static readonly OptionRule AggregationAlpha = new OptionRule("AggregationAlpha", OptionType.Real,
        "GradientDescentAggregation: initial weight α₀ of the outer objective in the inner loss", "compositions with GradientDescentAggregation",
        c => c.Has(Operation.GradientDescentAggregation),
        (c, v) => v >= 0 && v <= 1 ? null : "GradientDescentAggregation needs 0 ≤ α₀ ≤ 1",
        "0 ≤ α₀ ≤ 1",
        c => 0.5, "0.5");

    /// <summary>GradientDescentAggregation's decay.</summary>
    public static readonly OptionRule AggregationDecay = new OptionRule("AggregationDecay", OptionType.Real,
        "GradientDescentAggregation: α_k = α₀·decay^k", "compositions with GradientDescentAggregation",
        c => c.Has(Operation.GradientDescentAggregation),
        (c, v) => v > 0 && v <= 1 ? null : "GradientDescentAggregation needs 0 < decay ≤ 1",
        "0 < decay ≤ 1",
        c => 1.0, "1");

    /// <summary>[FixedPointMap]: most iterations of the forward (equilibrium) solve.</summary>
    public static readonly OptionRule EquilibriumIterations = new OptionRule("EquilibriumIterations", OptionType.Integer,
        "most iterations z ← Φ(z) of the forward (equilibrium) solve", "[FixedPointMap] problems",
        c => c.FixedPointMap,
        (c, v) => PositiveInteger(v, "the equilibrium solve needs at least one iteration"),
        "≥ 1",
        c => 100, "100");

    /// <summary>[FixedPointMap]: stopping rule of the forward solve.</summary>
    public static readonly OptionRule EquilibriumTolerance = new OptionRule("EquilibriumTolerance", OptionType.Real,
        "the forward solve stops when ‖Φ(z) − z‖ / ‖Φ(z)‖ is at most this", "[FixedPointMap] problems",
        c => c.FixedPointMap,
        (c, v) => NonNegativeFinite(v, "the relative residual to stop the equilibrium solve at; 0 runs every iteration"),
        "≥ 0 and finite; 0 runs every iteration",
        c => 1e-6, "1e-6");

    /// <summary>[FixedPointMap]: start the forward solve from the current state.</summary>
    public static readonly OptionRule EquilibriumWarmStart = new OptionRule("EquilibriumWarmStart", OptionType.Flag,
        "start each forward solve from the current equilibrium state instead of zero", "[FixedPointMap] problems",
        c => c.FixedPointMap,
        (c, v) => null,
        "true or false",
        c => 0, "false");

    private static bool Joint(OptionContext c) => MethodFamilies.IsJoint(c.Method);

    private static readonly Method[] WithInnerLoop = { Method.Amigo, Method.StocBio, Method.F2sa, Method.Bome, Method.Pgdm };

    /// <summary>Joint methods: step of their own state (z, the Neumann series, the lower-level copy).</summary>
    public static readonly OptionRule AuxiliaryStepSize = new OptionRule("AuxiliaryStepSize", OptionType.Real,
        "joint methods: step of z (Soba, Saba, MaSoba, Amigo), of StocBio's Neumann series, of the lower-level copy (F2sa, Bome, Pgdm)", "joint methods (single-loop and Hessian-free)",
        Joint,
        (c, v) => PositiveFinite(v, "the step of the method's own state"),
        "> 0 and finite",
        c => null, "the inner optimizer's learning rate (a constant-rate DifferentiableSgd; required with any other inner optimizer)");

    /// <summary>Joint methods: exponent a of the step schedule 1/(t + 1)^a.</summary>
    public static readonly OptionRule StepExponent = new OptionRule("StepExponent", OptionType.Real,
        "joint methods: exponent a of the step schedule: iteration t's steps (w, its own state, λ) are scaled by 1/(t + 1)^a", "joint methods (single-loop and Hessian-free)",
        Joint,
        (c, v) => v >= 0 && v <= 1 ? null : "it must be between 0 (constant steps) and 1 (steps whose sum still diverges)",
        "0 ≤ a ≤ 1",
        c => c.Method == Method.Soba ? 0.5 : 0.0, "0.5 for Soba (benchopt's SOBA), 0 otherwise");

    /// <summary>Joint methods with an inner loop: inner steps per outer step.</summary>
    public static readonly OptionRule InnerSteps = new OptionRule("InnerSteps", OptionType.Integer,
        "inner steps per outer step: on w (Amigo, StocBio, F2sa) or on the lower-level copy (Bome, Pgdm)", "Amigo, StocBio, F2sa, Bome, Pgdm",
        c => WithInnerLoop.Contains(c.Method),
        (c, v) => PositiveInteger(v, "at least one inner step per outer step"),
        "≥ 1",
        c => 10, "10");

    /// <summary>MA-SOBA: weight θ of the newest estimate in the moving average.</summary>
    public static readonly OptionRule Averaging = new OptionRule("Averaging", OptionType.Real,
        "MaSoba: weight θ of the newest estimate in the moving average h ← (1 − θ) h + θ D", "MaSoba",
        c => c.Method == Method.MaSoba,
        (c, v) => v > 0 && v <= 1 ? null : "the weight θ of the newest estimate must be in (0, 1] (1 is SOBA)",
        "0 < θ ≤ 1",
        c => 0.1, "0.1");

    /// <summary>F2sa and Pgdm: the penalty σ at the first iteration.</summary>
    public static readonly OptionRule PenaltyStart = new OptionRule("PenaltyStart", OptionType.Real,
        "F2sa, Pgdm: the penalty σ of g − g* at the first iteration (Pgdm: throughout); the estimate's bias is O(1/σ)", "F2sa, Pgdm",
        c => c.Method is Method.F2sa or Method.Pgdm,
        (c, v) => PositiveFinite(v, "the penalty of the lower-level gap"),
        "> 0 and finite",
        c => 1.0, "1");

    /// <summary>F2sa: growth of the penalty per iteration.</summary>
    public static readonly OptionRule PenaltyGrowth = new OptionRule("PenaltyGrowth", OptionType.Real,
        "F2sa: σ grows by δ/(t + 1)^(1/7) after iteration t (benchopt's F²SA)", "F2sa",
        c => c.Method == Method.F2sa,
        (c, v) => NonNegativeFinite(v, "the penalty's growth per iteration; 0 keeps it constant"),
        "≥ 0 and finite",
        c => 0.1, "0.1");

    /// <summary>BOME: η of its control φ = η‖∇q‖².</summary>
    public static readonly OptionRule Eta = new OptionRule("Eta", OptionType.Real,
        "Bome: η of the control φ = η‖∇q‖²", "Bome",
        c => c.Method == Method.Bome,
        (c, v) => PositiveFinite(v, "BOME's control weight"),
        "> 0 and finite",
        c => 0.5, "0.5");

    /// <summary>Every option, in the order generated code sets them.</summary>
    public static readonly OptionRule[] All =
    {
        Rank, Sampling, SketchRefresh, Rho, Iterations, Tolerance, Alpha, Seed, WarmStart, Truncation, UnrollSteps, Operations,
        AggregationAlpha, AggregationDecay, EquilibriumIterations, EquilibriumTolerance, EquilibriumWarmStart,
        AuxiliaryStepSize, StepExponent, InnerSteps, Averaging, PenaltyStart, PenaltyGrowth, Eta,
    };

    /// <summary>The rule named <paramref name="name"/>, or null.</summary>
    public static OptionRule? Find(string name) => All.FirstOrDefault(r => r.Name == name);

    private static bool UsesTruncation(OptionContext c) => c.Method == Method.TruncatedUnroll || c.Has(Operation.TruncatedUnroll);

    /// <summary>
    /// THE rule "0 &lt; Truncation &lt; UnrollSteps": why <paramref name="truncation"/> (null: unset) cannot truncate an unroll of
    /// <paramref name="unrollSteps"/> steps, or null. Only for problems that truncate (<see cref="Truncation"/> applies).
    /// </summary>
    public static string? WhyTruncationInvalid(int? truncation, int unrollSteps)
    {
        if (truncation is not int k)
            return $"TruncatedUnroll differentiates the last K steps: set Truncation = K with 0 < K < UnrollSteps ({unrollSteps})";
        if (k > 0 && k < unrollSteps) return null;
        return $"truncation must be smaller than UnrollSteps ({unrollSteps}) and positive; with Truncation = UnrollSteps use Method.ReverseUnroll";
    }

    /// <summary>HG0012's message for <see cref="WhyTruncationInvalid"/>'s <paramref name="reason"/>.</summary>
    public static string TruncationMessage(int? truncation, string reason) => $"{Truncation.Name} = {TruncationValue(truncation)} is invalid: {reason}";

    /// <summary>Truncation's value in messages: the number, or "(unset)".</summary>
    public static string TruncationValue(int? truncation) => truncation is int k ? Format(OptionType.Integer, k) : "(unset)";

    /// <summary>Why <c>Operations</c> cannot be used with <paramref name="method"/>, or null (the composition itself is checked by <see cref="CompositionRules"/>).</summary>
    public static string? WhyOperationsInvalid(Method method) =>
        MethodFamilies.Of(method) == MethodFamily.Unrolled ? null :
        $"Operations compose unrolled methods, but Method.{method} is implicit; use an unrolled Method (e.g. Method.ReverseUnroll) with Operations, or remove Operations";

    /// <summary>
    /// HG0013's message for <paramref name="operations"/> with <paramref name="method"/> (the runtime throws it too), or null when
    /// the composition is valid. Without <paramref name="unrollSteps"/> the run decides the step count, so the step-dependent
    /// rules are checked with a count they all accept.
    /// </summary>
    public static string? WhyCompositionInvalid(Method method, IReadOnlyList<Operation> operations, int? unrollSteps, int? truncation,
        double? aggregationAlpha, double? aggregationDecay)
    {
        if (operations.FirstOrDefault(o => !Enum.IsDefined(typeof(Operation), o)) is var unknown && !Enum.IsDefined(typeof(Operation), unknown))
            return $"{(int)unknown} is not a Hypergrad.Operation";
        if (WhyOperationsInvalid(method) is { } why) return why;
        int steps = CompositionUnrollSteps(operations, unrollSteps, truncation);
        return CompositionRules.Validate(operations, steps, truncation ?? 0, aggregationAlpha ?? 0.5, aggregationDecay ?? 1.0)?.Message.TrimEnd('.');
    }

    /// <summary>The unroll length a composition is checked with: <paramref name="unrollSteps"/>, or without it one every step-dependent rule accepts.</summary>
    public static int CompositionUnrollSteps(IReadOnlyList<Operation> operations, int? unrollSteps, int? truncation) =>
        unrollSteps ?? (operations.Contains(Operation.DualMultiplier) ? 1 : Math.Max(2, (truncation ?? 0) + 1));

    /// <summary>A value as the attribute would have it written (ints without a decimal point, bools as true/false).</summary>
    public static string Format(OptionType type, double value)
    {
        switch (type)
        {
            case OptionType.Integer: return ((long)value).ToString(CultureInfo.InvariantCulture);
            case OptionType.Flag: return value != 0 ? "true" : "false";
            default: return value.ToString("R", CultureInfo.InvariantCulture);
        }
    }
}
