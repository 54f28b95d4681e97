using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using Hypergrad.Analyzers;
using Hypergrad.Generators.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Hypergrad.Generators.Extraction;

/// <summary>Reads and validates the method and named options of a <c>[Hypergradient]</c> attribute.</summary>
internal static class SettingsReader
{
    /// <summary>Which methods read each option (every method reads UnrollSteps: it paces the Run loop).</summary>
    private static readonly Dictionary<string, Method[]> UsedBy = new()
    {
        ["Rank"] = [Method.Nystrom, Method.NystromConjugateGradient],
        ["Sampling"] = [Method.Nystrom, Method.NystromConjugateGradient],
        ["SketchRefresh"] = [Method.NystromConjugateGradient],
        ["Rho"] = [Method.ConjugateGradient, Method.ConjugateGradientNormal, Method.Neumann, Method.FixedPoint, Method.Nystrom, Method.OptimizerSolve, Method.Exact, Method.NystromConjugateGradient],
        ["Iterations"] = [Method.ConjugateGradient, Method.ConjugateGradientNormal, Method.Neumann, Method.FixedPoint, Method.OptimizerSolve, Method.NystromConjugateGradient],
        // Iterative methods: the certificate's bound on the final iterate's inner stationarity ‖∇g(w_T)‖/‖∇g(w_0)‖.
        ["Tolerance"] = [Method.ConjugateGradient, Method.ConjugateGradientNormal, Method.Neumann, Method.FixedPoint, Method.OptimizerSolve, Method.Exact, Method.NystromConjugateGradient,
            Method.ReverseUnroll, Method.ReverseRecompute, Method.TruncatedUnroll, Method.PessimisticTrajectoryTruncation, Method.FirstOrder,
            Method.FiniteDifference, Method.GradientAlignment],
        ["Alpha"] = [Method.Neumann, Method.FixedPoint, Method.OptimizerSolve],
        ["Seed"] = [Method.Nystrom, Method.NystromConjugateGradient],
        ["WarmStart"] = [Method.ConjugateGradient, Method.ConjugateGradientNormal, Method.Neumann, Method.FixedPoint, Method.OptimizerSolve, Method.NystromConjugateGradient],
        ["Truncation"] = [Method.TruncatedUnroll],
    };

    /// <summary>The settings, or null when the method argument is missing or unknown (the code does not compile then).</summary>
    public static SettingsModel? Read(AttributeData attribute, Reporter report)
    {
        if (attribute.ConstructorArguments.Length != 1 || attribute.ConstructorArguments[0].Value is not int methodValue)
            return null;   // does not compile
        if (!Enum.IsDefined(typeof(Method), methodValue))
        {
            var syntax = attribute.ApplicationSyntaxReference?.GetSyntax() as AttributeSyntax;
            report.Add(DiagnosticDescriptors.InvalidOption, syntax?.ArgumentList?.Arguments.FirstOrDefault()?.GetLocation() ?? syntax?.GetLocation(),
                "Method", methodValue.ToString(CultureInfo.InvariantCulture), "it is not one of the Method values; choose one (e.g. Method.ConjugateGradient)");
            return null;
        }
        var method = (Method)methodValue;

        int? rank = null, sketchRefresh = null, iterations = null, seed = null, truncation = null, unrollSteps = null;
        double? rho = null, tolerance = null, alpha = null, aggregationAlpha = null, aggregationDecay = null;
        Operation[]? operations = null;
        NystromSampling? sampling = null;
        bool? warmStart = null, equilibriumWarmStart = null;
        int? equilibriumIterations = null;
        double? equilibriumTolerance = null;
        foreach (var argument in attribute.NamedArguments)
        {
            var location = LocationOf(attribute, argument.Key);
            object? value = argument.Value.Kind == TypedConstantKind.Array ? null : argument.Value.Value;   // .Value throws on arrays
            switch (argument.Key, value)
            {
                case ("Rank", int v): rank = Positive(v, "Rank", "Nyström needs at least one Hessian row", location, report); break;
                case ("SketchRefresh", int v): sketchRefresh = Positive(v, "SketchRefresh", "the sketch is used for at least one outer step", location, report); break;
                case ("Sampling", int v):
                    if (Enum.IsDefined(typeof(NystromSampling), v)) sampling = (NystromSampling)v;
                    else report.Add(DiagnosticDescriptors.InvalidOption, location, "Sampling", v.ToString(CultureInfo.InvariantCulture), "it must be NystromSampling.Columns or NystromSampling.Gaussian");
                    break;
                case ("Iterations", int v): iterations = Positive(v, "Iterations", "the solve needs at least one iteration", location, report); break;
                case ("UnrollSteps", int v): unrollSteps = Positive(v, "UnrollSteps", "at least one inner step must separate two outer steps", location, report); break;
                case ("Truncation", int v): truncation = Positive(v, "Truncation", "at least one inner step must be differentiated through", location, report); break;
                case ("Seed", int v):
                    if (v < 0) report.Add(DiagnosticDescriptors.InvalidOption, location, "Seed", v.ToString(CultureInfo.InvariantCulture), "the seed must not be negative");
                    seed = v;
                    break;
                case ("Rho", double v):
                    if (v < 0 || double.IsNaN(v)) report.Add(DiagnosticDescriptors.InvalidOption, location, "Rho", Format(v), "the ridge ρ must be zero or positive");
                    rho = v;
                    break;
                case ("Tolerance", double v): tolerance = Positive(v, "Tolerance", "the relative residual to stop at must be positive", location, report); break;
                case ("WarmStart", bool v): warmStart = v; break;
                case ("EquilibriumIterations", int v): equilibriumIterations = Positive(v, "EquilibriumIterations", "the equilibrium solve needs at least one iteration", location, report); break;
                case ("EquilibriumTolerance", double v): equilibriumTolerance = Positive(v, "EquilibriumTolerance", "the relative residual to stop the equilibrium solve at must be positive", location, report); break;
                case ("EquilibriumWarmStart", bool v): equilibriumWarmStart = v; break;
                case ("AggregationAlpha", double v): aggregationAlpha = v; break;
                case ("AggregationDecay", double v): aggregationDecay = v; break;
                case ("Operations", _) when argument.Value.Kind == TypedConstantKind.Array && !argument.Value.IsNull:
                    operations = argument.Value.Values.Select(o => o.Value is int i ? (Operation)i : (Operation)(-1)).ToArray();
                    break;
                case ("Alpha", double v): alpha = Positive(v, "Alpha", "the step α must be positive (Neumann converges for 0 < α < 2/λ_max(H))", location, report); break;
                default: continue;
            }
            if (UsedBy.TryGetValue(argument.Key, out var methods) && !methods.Contains(method))
                report.Add(DiagnosticDescriptors.OptionIgnored, location, argument.Key, method.ToString());
        }

        if (truncation is int k && unrollSteps is int t && k >= t)
            report.Add(DiagnosticDescriptors.InvalidOption, LocationOf(attribute, "Truncation"), "Truncation", k.ToString(CultureInfo.InvariantCulture),
                $"truncation must be smaller than UnrollSteps ({t}); with Truncation = UnrollSteps use Method.ReverseUnroll");

        if (operations is not null)
            CheckComposition(attribute, method, operations, unrollSteps, truncation, aggregationAlpha, aggregationDecay, report);

        return new SettingsModel(method, rank, rho, iterations, tolerance, alpha, seed, warmStart, truncation, unrollSteps,
            new EquatableArray<Operation>(operations ?? Array.Empty<Operation>()), aggregationAlpha, aggregationDecay,
            equilibriumIterations, equilibriumTolerance, equilibriumWarmStart, sampling, sketchRefresh);
    }

    /// <summary>HG0013: runs the runtime's own composition rules on the declared operations.</summary>
    private static void CheckComposition(AttributeData attribute, Method method, Operation[] operations, int? unrollSteps, int? truncation,
        double? aggregationAlpha, double? aggregationDecay, Reporter report)
    {
        var location = LocationOf(attribute, "Operations");
        if (operations.FirstOrDefault(o => !Enum.IsDefined(typeof(Operation), o)) is var unknown && !Enum.IsDefined(typeof(Operation), unknown))
        {
            report.Add(DiagnosticDescriptors.InvalidOption, location, "Operations", ((int)unknown).ToString(CultureInfo.InvariantCulture),
                "it is not one of the Operation values");
            return;
        }
        if (!MethodFamily.IsIterative(method))
        {
            report.Add(DiagnosticDescriptors.InvalidComposition, location,
                $"Operations compose iterative (unrolled) methods, but Method.{method} is implicit; use an iterative Method (e.g. Method.ReverseUnroll) with Operations, or remove Operations", "");
            return;
        }
        // Without UnrollSteps the run decides the step count: check with a count every step-dependent rule accepts.
        int innerSteps = unrollSteps ?? (operations.Contains(Operation.DualMultiplier) ? 1 : Math.Max(2, (truncation ?? 0) + 1));
        var violation = Hypergrad.Unrolled.CompositionRules.Validate(operations, innerSteps, truncation ?? 0, aggregationAlpha ?? 0.5, aggregationDecay ?? 1.0);
        if (violation is null) return;
        // The fix (and the message) propose a list that passes the same rules with the same step counts.
        var valid = Hypergrad.Unrolled.CompositionRepair.ClosestValid(operations, innerSteps, truncation ?? 0, aggregationAlpha ?? 0.5, aggregationDecay ?? 1.0);
        report.Add(DiagnosticDescriptors.InvalidComposition, location,
            ImmutableDictionary<string, string?>.Empty.Add(DiagnosticProperties.ValidOperations, string.Join(",", valid)),
            violation.Message.TrimEnd('.'), $". A valid list close to it: {Hypergrad.Unrolled.CompositionRules.Describe(valid)}");
    }

    private static int Positive(int value, string name, string why, Location? location, Reporter report)
    {
        if (value <= 0) report.Add(DiagnosticDescriptors.InvalidOption, location, name, value.ToString(CultureInfo.InvariantCulture), $"it must be positive ({why})");
        return value;
    }

    private static double Positive(double value, string name, string why, Location? location, Reporter report)
    {
        if (!(value > 0) || double.IsInfinity(value)) report.Add(DiagnosticDescriptors.InvalidOption, location, name, Format(value), $"it must be positive and finite ({why})");
        return value;
    }

    private static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>The <c>Name = value</c> argument's location, or the attribute's when it is not in source.</summary>
    internal static Location? LocationOf(AttributeData attribute, string name)
    {
        if (attribute.ApplicationSyntaxReference?.GetSyntax() is not AttributeSyntax syntax) return null;
        var argument = syntax.ArgumentList?.Arguments.FirstOrDefault(a => a.NameEquals?.Name.Identifier.ValueText == name);
        return (argument ?? (SyntaxNode)syntax).GetLocation();
    }
}
