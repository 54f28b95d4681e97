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
    /// The implicit solver for <paramref name="settings"/>: the attribute's options where set, the solver's own
    /// defaults elsewhere.
    /// </summary>
    public static ImplicitSolver CreateImplicitSolver(HypergradientSettings settings)
    {
        var defaults = ImplicitSolver.Create(settings.Method);
        int iterations = settings.Iterations ?? defaults.Iterations;
        double tolerance = settings.Tolerance ?? defaults.Tolerance;
        double damping = settings.Rho ?? defaults.Damping;
        bool warmStart = settings.WarmStart ?? defaults.WarmStart;
        return settings.Method switch
        {
            Method.ConjugateGradient => new ConjugateGradient { Iterations = iterations, Tolerance = tolerance, Damping = damping, WarmStart = warmStart },
            Method.ConjugateGradientNormal => new ConjugateGradientNormal { Iterations = iterations, Tolerance = tolerance, Damping = damping, WarmStart = warmStart },
            Method.Neumann => new Neumann { Iterations = iterations, Tolerance = tolerance, Damping = damping, WarmStart = warmStart, Alpha = settings.Alpha },
            Method.FixedPoint => new FixedPoint { Iterations = iterations, Tolerance = tolerance, Damping = damping, WarmStart = warmStart, Alpha = settings.Alpha },
            Method.Nystrom => new Nystrom { Rank = settings.Rank ?? ((Nystrom)defaults).Rank, Rho = damping, Seed = (ulong)(settings.Seed ?? 0), Sampling = settings.Sampling ?? ((Nystrom)defaults).Sampling },
            Method.OptimizerSolve => new OptimizerSolve { Iterations = iterations, Tolerance = tolerance, Damping = damping, WarmStart = warmStart, LearningRate = settings.Alpha },
            Method.NystromConjugateGradient => new NystromConjugateGradient
            {
                Iterations = iterations, Tolerance = tolerance, Damping = damping, WarmStart = warmStart, Rank = settings.Rank ?? ((NystromConjugateGradient)defaults).Rank,
                Seed = (ulong)(settings.Seed ?? 0), Sampling = settings.Sampling ?? ((NystromConjugateGradient)defaults).Sampling,
                RefreshInterval = settings.SketchRefresh ?? ((NystromConjugateGradient)defaults).RefreshInterval,
            },
            Method.Exact => new Exact { Tolerance = tolerance, Damping = damping },
            _ => throw new HypergradException($"Method.{settings.Method} is not an implicit method."),
        };
    }

    /// <summary>
    /// Iterative methods: unrolls <paramref name="steps"/> steps of <paramref name="optimizer"/> from the current inner
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
            InnerSteps = steps,
            TruncationSteps = settings.Truncation ?? 0,
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
