using System;
using System.Linq;
using Hypergrad.Implicit;
using Hypergrad.Optimizers;
using Hypergrad.Parameters;
using Hypergrad.Unrolled;
using static TorchSharp.torch;

namespace Hypergrad.Solving;

/// <summary>Maps <see cref="HypergradientSettings"/> to the runtime engine that computes the hypergradient.</summary>
internal static class HypergradientMethods
{
    /// <summary>
    /// The solver of <paramref name="method"/> (the settings' implicit method, or the implicit stage of its composition)
    /// with the settings' options where set and the solver's own defaults elsewhere.
    /// </summary>
    public static ImplicitSolver CreateImplicitSolver(HypergradientSettings settings, Method method)
    {
        var defaults = ImplicitSolver.Create(method);
        int iterations = settings.Iterations ?? defaults.Iterations;
        double tolerance = settings.Tolerance ?? defaults.Tolerance;
        double rho = settings.Rho ?? defaults.Rho;
        bool warmStart = settings.WarmStart ?? defaults.WarmStart;
        return method switch
        {
            Method.ConjugateGradient => new ConjugateGradient { Iterations = iterations, Tolerance = tolerance, Rho = rho, WarmStart = warmStart },
            Method.ConjugateGradientNormal => new ConjugateGradientNormal { Iterations = iterations, Tolerance = tolerance, Rho = rho, WarmStart = warmStart },
            Method.Neumann => new Neumann { Iterations = iterations, Tolerance = tolerance, Rho = rho, WarmStart = warmStart, Alpha = settings.Alpha },
            Method.FixedPoint => new FixedPoint { Iterations = iterations, Tolerance = tolerance, Rho = rho, WarmStart = warmStart, Alpha = settings.Alpha },
            Method.Nystrom => new Nystrom { Rank = settings.Rank ?? ((Nystrom)defaults).Rank, Tolerance = tolerance, Rho = rho, Seed = (ulong)(settings.Seed ?? 0), Sampling = settings.Sampling ?? ((Nystrom)defaults).Sampling },
            Method.OptimizerSolve => new OptimizerSolve { Iterations = iterations, Tolerance = tolerance, Rho = rho, WarmStart = warmStart, Alpha = settings.Alpha },
            Method.NystromConjugateGradient => new NystromConjugateGradient
            {
                Iterations = iterations, Tolerance = tolerance, Rho = rho, WarmStart = warmStart, Rank = settings.Rank ?? ((NystromConjugateGradient)defaults).Rank,
                Seed = (ulong)(settings.Seed ?? 0), Sampling = settings.Sampling ?? ((NystromConjugateGradient)defaults).Sampling,
                RefreshInterval = settings.SketchRefresh ?? ((NystromConjugateGradient)defaults).RefreshInterval,
            },
            Method.Exact => new Exact { Tolerance = tolerance, Rho = rho },
            _ => throw new HypergradException($"Method.{method} is not an implicit method."),
        };
    }

    /// <summary>
    /// Unrolled methods: unrolls <paramref name="steps"/> steps of <paramref name="optimizer"/> from the current inner
    /// variables (a fresh optimizer state, as each unrolled inner loop starts), differentiates through them with the
    /// settings' method or composition, and leaves the inner variables at the final iterate. Step t evaluates
    /// <paramref name="innerObjectiveOfStep"/>(t) (its own batch).
    /// </summary>
    public static HypergradientResult Unrolled(ParameterSet inner, ParameterSet outer, HypergradientSettings settings,
        Func<int, Func<Tensor>> innerObjectiveOfStep, Func<Tensor> outerObjective, DifferentiableOptimizer optimizer, int steps)
    {
        var problem = new UnrolledProblem(inner, outer, innerObjectiveOfStep, outerObjective, optimizer);
        var defaults = new UnrolledOptions();
        var options = new UnrolledOptions
        {
            UnrollSteps = steps,
            Truncation = settings.Truncation ?? 0,
            // The implicit stage of a composition (e.g. InitializationUnroll + ConjugateGradient) takes the attribute's solver options.
            ImplicitSolver = new OptionContext(settings.Method, settings.Operations, fixedPointMap: false).LinearSolve is { } solve
                ? CreateImplicitSolver(settings, solve) : null,
            AggregationAlpha = settings.AggregationAlpha ?? defaults.AggregationAlpha,
            AggregationDecay = settings.AggregationDecay ?? defaults.AggregationDecay,
            Tolerance = settings.Tolerance ?? defaults.Tolerance,
            CopyFinalIterate = true,
        };
        if (settings.Operations is not { Count: > 0 } operations)
            return UnrolledHypergradient.Compute(problem, settings.Method, options);
        return UnrolledHypergradient.Compose(problem, operations, options);
    }
}
