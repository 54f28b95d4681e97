using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace Hypergrad.Solving;

/// <summary>
/// The method and options of a bilevel problem: the values of its <c>[Hypergradient]</c> attribute, under the same
/// names. Options left null take the chosen method's defaults. The same rules as the attribute's (HG0012, HG0013)
/// are checked when a problem is built or its settings are replaced, with the same words.
/// </summary>
/// <remarks>
/// To set a value known only at run time (a step α = 1/λ_max, a rank from the data size), replace the problem's
/// settings: <c>problem.BilevelProblem.Settings = problem.BilevelProblem.Settings with { Alpha = 1 / lambdaMax };</c>
/// </remarks>
/// <param name="Method">How the hypergradient is computed.</param>
public sealed record HypergradientSettings(Method Method)
{
    /// <summary>Nyström and Nyström-preconditioned CG: sketch size (products with H).</summary>
    public int? Rank { get; init; }

    /// <summary>Nyström and Nyström-preconditioned CG: how the sketch's test vectors are chosen.</summary>
    public NystromSampling? Sampling { get; init; }

    /// <summary>Nyström-preconditioned CG: outer steps between two sketch refreshes.</summary>
    public int? SketchRefresh { get; init; }

    /// <summary>The ridge ρ of (H + ρI) x = v (Nyström: must be positive).</summary>
    public double? Rho { get; init; }

    /// <summary>Iteration budget of the linear solve (also the implicit stage of <see cref="Operations"/>).</summary>
    public int? Iterations { get; init; }

    /// <summary>Implicit methods: relative residual at which the linear solve stops (0: every iteration); unrolled methods: the stationarity bound of the certificate.</summary>
    public double? Tolerance { get; init; }

    /// <summary>Step α of Neumann and FixedPoint; OptimizerSolve's learning rate. Unset: 1/λ̂_max by power iteration (FixedPoint on a [FixedPointMap]: 1).</summary>
    public double? Alpha { get; init; }

    /// <summary>Seed of sampling methods.</summary>
    public int? Seed { get; init; }

    /// <summary>Start each linear solve from the previous solution.</summary>
    public bool? WarmStart { get; init; }

    /// <summary>Truncated unroll: number of last inner steps differentiated through.</summary>
    public int? Truncation { get; init; }

    /// <summary>Default number of inner steps between two outer steps (<see cref="BilevelOptions.UnrollSteps"/> overrides it). Default 10.</summary>
    public int? UnrollSteps { get; init; }

    /// <summary>A BOAT-style composition computed instead of the method's own (unrolled methods only), or null.</summary>
    public IReadOnlyList<Operation>? Operations { get; init; }

    /// <summary>GradientDescentAggregation's α₀.</summary>
    public double? AggregationAlpha { get; init; }

    /// <summary>GradientDescentAggregation's decay.</summary>
    public double? AggregationDecay { get; init; }

    /// <summary>True for the unrolled methods, which differentiate through the inner steps (<see cref="MethodFamilies"/>).</summary>
    public bool IsUnrolled => MethodFamilies.IsUnrolled(Method);

    /// <summary>[FixedPointMap] problems: most forward iterations z ← Φ(z). Default <see cref="DefaultEquilibriumIterations"/>.</summary>
    public int? EquilibriumIterations { get; init; }

    /// <summary>[FixedPointMap] problems: forward stopping rule on ‖Φ(z) − z‖ / ‖Φ(z)‖. Default <see cref="DefaultEquilibriumTolerance"/>.</summary>
    public double? EquilibriumTolerance { get; init; }

    /// <summary>[FixedPointMap] problems: start the forward solve from the current state instead of zero. Default false.</summary>
    public bool? EquilibriumWarmStart { get; init; }

    /// <summary>Joint methods: step of z, of StocBio's Neumann series or of the lower-level copy. Unset: the inner optimizer's (constant SGD) learning rate.</summary>
    public double? AuxiliaryStepSize { get; init; }

    /// <summary>Joint methods: exponent a of the step schedule 1/(t + 1)^a.</summary>
    public double? StepExponent { get; init; }

    /// <summary>Amigo, StocBio, F2sa, Bome, Pgdm: inner steps per outer step.</summary>
    public int? InnerSteps { get; init; }

    /// <summary>MaSoba: weight of the newest estimate in the moving average.</summary>
    public double? Averaging { get; init; }

    /// <summary>F2sa, Pgdm: the penalty σ at the first iteration.</summary>
    public double? PenaltyStart { get; init; }

    /// <summary>F2sa: growth of the penalty.</summary>
    public double? PenaltyGrowth { get; init; }

    /// <summary>Bome: η of the control φ = η‖∇q‖².</summary>
    public double? Eta { get; init; }

    /// <summary>True for the joint methods (single-loop and Hessian-free), which step w, their own state and λ together.</summary>
    public bool IsJoint => MethodFamilies.IsJoint(Method);

    /// <summary>Default <see cref="EquilibriumIterations"/>.</summary>
    public const int DefaultEquilibriumIterations = 100;

    /// <summary>Default <see cref="EquilibriumTolerance"/>.</summary>
    public const double DefaultEquilibriumTolerance = 1e-6;

    /// <summary>
    /// Checks settings that replace <paramref name="current"/> (null when the problem is built) on a problem: not null,
    /// the same method (the generated code and its diagnostics are written for it), the attribute's rules, and no option
    /// newly set that the method does not read (HG0016 at compile time; at run time the user expects the new value to act).
    /// </summary>
    internal static HypergradientSettings CheckReplacement(HypergradientSettings? current, HypergradientSettings value, string problem, bool fixedPointMap)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (current is not null && value.Method != current.Method)
            throw new HypergradException($"{problem}: the settings' Method is {current.Method}; replaced settings must keep it (got Method.{value.Method}). Change the [Hypergradient] attribute to change the method.");
        value.Validate(problem, fixedPointMap);
        if (current is not null)
        {
            var context = new OptionContext(value.Method, value.Operations, fixedPointMap);
            foreach (var rule in OptionRules.All)
            {
                if (rule.Type == OptionType.Operations || rule.AppliesTo(context)) continue;
                var property = typeof(HypergradientSettings).GetProperty(rule.Name)!;
                object? replaced = property.GetValue(value);
                if (replaced is not null && !Equals(replaced, property.GetValue(current)))
                    throw new HypergradException(
                        $"{problem}: {rule.Name} is not used by {context.Describe()} and would be ignored (the attribute's HG0016); " +
                        $"remove {rule.Name} from the replaced settings, or choose a method that reads it in the [Hypergradient] attribute.");
            }
        }
        return value;
    }

    /// <summary>
    /// Throws a <see cref="HypergradException"/> naming the first option that the <c>[Hypergradient]</c> attribute
    /// would refuse (HG0012, HG0013), in the same words.
    /// </summary>
    /// <param name="problem">The problem's name, for the message.</param>
    /// <param name="fixedPointMap">True for a <c>[FixedPointMap]</c> problem.</param>
    internal void Validate(string problem, bool fixedPointMap)
    {
        if (!Enum.IsDefined(typeof(Method), Method))
            throw new HypergradException($"{problem}: {(int)Method} is not a Hypergrad.Method; use one of {string.Join(", ", Enum.GetNames(typeof(Method)))}.");
        var context = new OptionContext(Method, Operations, fixedPointMap);
        foreach (var rule in OptionRules.All)
        {
            if (rule.Type == OptionType.Operations) continue;
            object? value = typeof(HypergradientSettings).GetProperty(rule.Name)!.GetValue(this);
            if (value is null) continue;
            double number = value is bool flag ? (flag ? 1 : 0) : Convert.ToDouble(value, CultureInfo.InvariantCulture);
            if (rule.WhyInvalid(context, number) is { } reason)
                throw new HypergradException($"{problem}: {rule.Message(number, reason)}.");
        }
        // Truncation < UnrollSteps is checked again against the run's unroll length (BilevelOptions.UnrollSteps may override it).
        if (OptionRules.Truncation.AppliesTo(context) && Operations is not { Count: > 0 } && (Truncation is null || UnrollSteps is not null)
            && OptionRules.WhyTruncationInvalid(Truncation, UnrollSteps ?? BilevelOptions.DefaultUnrollSteps) is { } truncation)
            throw new HypergradException($"{problem}: {OptionRules.TruncationMessage(Truncation, truncation)}.");
        if (Operations is { Count: > 0 } operations && OptionRules.WhyCompositionInvalid(Method, operations, UnrollSteps, Truncation, AggregationAlpha, AggregationDecay) is { } composition)
            throw new HypergradException($"{problem}: Invalid combination of operations: {composition}");
    }
}
