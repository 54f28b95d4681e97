using System.Collections.Generic;
using Hypergrad.Optimizers;

namespace Hypergrad.Solving;

/// <summary>Maps a <see cref="HypergradientSettings"/> to the one runtime entry point that computes it.</summary>
internal static class HypergradientMethods
{
    public static HypergradientResult Implicit<TIn, TOut>(BilevelProblem<TIn, TOut> problem, TIn innerBatch, TOut outerBatch) =>
        throw new HypergradException($"Method.{problem.Settings.Method} is not available yet.");

    public static HypergradientResult Unrolled<TIn, TOut>(BilevelProblem<TIn, TOut> problem, IReadOnlyList<TIn> window, TOut outerBatch,
        DifferentiableOptimizer optimizer, OptimizerState state) =>
        throw new HypergradException($"Method.{problem.Settings.Method} is not available yet.");
}
