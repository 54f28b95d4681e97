using System;
using System.Collections.Generic;
using Hypergrad.Autograd;
using static TorchSharp.torch;

namespace Hypergrad.Unrolled;

/// <summary>
/// One hypergradient computation: the problem, its options, and the objectives evaluated at flat iterates. It records
/// each step's inner objective the first time the step is taken, so a step evaluated again (recompute, FD, IGA, CG/NS)
/// sees the same batch.
/// </summary>
/// <param name="Problem">The problem.</param>
/// <param name="Options">The options.</param>
/// <param name="Aggregate">Whether GDA mixes the outer objective into the inner loss.</param>
sealed record UnrollSession(UnrolledProblem Problem, UnrolledOptions Options, bool Aggregate)
{
    private readonly Dictionary<int, Func<Tensor>> objectives = new();

    /// <summary>
    /// g_t, the user's inner objective of step <paramref name="step"/>: asked from the problem once, then recorded. Call it
    /// outside per-step dispose scopes the first time (tensors the problem creates for the step must outlive the step).
    /// </summary>
    public Func<Tensor> ObjectiveOfStep(int step)
    {
        if (objectives.TryGetValue(step, out var objective)) return objective;
        objective = Problem.InnerObjectiveOfStep(step) ?? throw new HypergradException(
            $"The unrolled problem's inner objective of step {step} is null; a per-step inner objective must return a loss function for every step it is asked for.");
        objectives.Add(step, objective);
        return objective;
    }

    /// <summary>The inner loss of step <paramref name="step"/> at the current variables: g_t, or α_t·F + (1 − α_t)·g_t with GDA.</summary>
    public Func<Tensor> InnerObjectiveAt(int step)
    {
        var inner = ObjectiveOfStep(step);
        if (!Aggregate) return inner;
        double alpha = Options.AggregationAlpha * Math.Pow(Options.AggregationDecay, step);
        return () => Problem.OuterObjective().Scaled(alpha).Plus(inner().Scaled(1 - alpha));
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

    /// <summary>‖∇_w g_t(w)‖ of the user's inner objective of step <paramref name="step"/> (without GDA's outer term), no graph: the certificate's stationarity.</summary>
    public double InnerGradientNorm(Tensor w, int step)
    {
        using var scope = NewDisposeScope();
        using var enableGrad = enable_grad();
        var leaf = w.detach().requires_grad_(true);
        Tensor loss;
        using (Problem.Inner.Substitute(leaf)) loss = ObjectiveOfStep(step)();
        var gradient = Gradients.Of(loss, "inner objective", [leaf], ["inner variables"], createGraph: false, UnusedInput.Zero)[0];
        return gradient.norm().to_type(ScalarType.Float64).item<double>();
    }

    /// <summary>F at <paramref name="w"/> (in the graph of w).</summary>
    public Tensor OuterLoss(Tensor w)
    {
        using var substitution = Problem.Inner.Substitute(w);
        return Problem.OuterObjective();
    }
}
