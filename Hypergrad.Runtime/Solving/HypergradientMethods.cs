using System.Collections.Generic;
using Hypergrad.Implicit;
using Hypergrad.Optimizers;

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
        return settings.Method switch
        {
            Method.ConjugateGradient => new ConjugateGradient { Iterations = iterations, Tolerance = tolerance, Damping = damping },
            Method.ConjugateGradientNormal => new ConjugateGradientNormal { Iterations = iterations, Tolerance = tolerance, Damping = damping },
            Method.Neumann => new Neumann { Iterations = iterations, Tolerance = tolerance, Damping = damping, Alpha = settings.Alpha ?? ((Neumann)defaults).Alpha },
            Method.FixedPoint => new FixedPoint { Iterations = iterations, Tolerance = tolerance, Damping = damping },
            Method.Nystrom => new Nystrom { Rank = settings.Rank ?? ((Nystrom)defaults).Rank, Rho = damping, Seed = (ulong)(settings.Seed ?? 0) },
            Method.OptimizerSolve => new OptimizerSolve { Iterations = iterations, Tolerance = tolerance, Damping = damping, LearningRate = settings.Alpha ?? ((OptimizerSolve)defaults).LearningRate },
            Method.Exact => new Exact { Tolerance = tolerance, Damping = damping },
            _ => throw new HypergradException($"Method.{settings.Method} is not an implicit method."),
        };
    }

    /// <summary>Iterative methods: the hypergradient through the inner steps of one window.</summary>
    public static HypergradientResult Unrolled<TIn, TOut>(BilevelProblem<TIn, TOut> problem, IReadOnlyList<TIn> window, TOut outerBatch,
        DifferentiableOptimizer optimizer, OptimizerState state) =>
        throw new HypergradException($"Method.{problem.Settings.Method} is not available yet.");
}
