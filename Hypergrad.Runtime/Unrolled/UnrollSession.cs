using System;
using Hypergrad.Autograd;
using static TorchSharp.torch;

namespace Hypergrad.Unrolled;

/// <summary>One hypergradient computation: the problem, its options, and the objectives evaluated at flat iterates.</summary>
/// <param name="Problem">The problem.</param>
/// <param name="Options">The options.</param>
/// <param name="Aggregate">Whether GDA mixes the outer objective into the inner loss.</param>
sealed record UnrollSession(UnrolledProblem Problem, UnrolledOptions Options, bool Aggregate)
{
    /// <summary>The inner loss of step <paramref name="step"/> at the current variables: g, or α_k·F + (1 − α_k)·g with GDA.</summary>
    public Func<Tensor> InnerObjectiveAt(int step)
    {
        if (!Aggregate) return Problem.InnerObjective;
        double alpha = Options.AggregationAlpha * Math.Pow(Options.AggregationDecay, step);
        return () => Problem.OuterObjective() * alpha + Problem.InnerObjective() * (1 - alpha);
    }

    /// <summary><see cref="InnerObjectiveAt"/> evaluated at the flat iterate <paramref name="w"/>.</summary>
    public Tensor InnerLoss(Tensor w, int step)
    {
        using var substitution = Problem.Inner.Substitute(w);
        return InnerObjectiveAt(step)();
    }

    /// <summary>∇_w of <see cref="InnerLoss"/>, flat.</summary>
    public Tensor InnerGradient(Tensor w, int step, bool createGraph) =>
        Gradients.Of(InnerLoss(w, step), "inner objective", [w], ["inner variables"], createGraph, UnusedInput.Zero)[0];

    /// <summary>F at <paramref name="w"/> (in the graph of w).</summary>
    public Tensor OuterLoss(Tensor w)
    {
        using var substitution = Problem.Inner.Substitute(w);
        return Problem.OuterObjective();
    }
}
