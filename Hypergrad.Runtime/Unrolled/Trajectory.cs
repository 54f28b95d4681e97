using System;
using System.Collections.Generic;
using System.Linq;
using Hypergrad.Autograd;
using Hypergrad.Optimizers;
using TorchSharp;
using static TorchSharp.torch;

namespace Hypergrad.Unrolled;

/// <summary>
/// The inner optimization of an <see cref="UnrolledProblem"/> run on flat iterates w₀ … w_T, each step
/// either differentiable (tracked: its graph is kept) or not (its result is detached).
/// </summary>
sealed class Trajectory
{
    /// <summary>How to run the inner loop.</summary>
    /// <param name="FirstTrackedStep">Steps t ≥ this keep their graph (0: all, T: none).</param>
    /// <param name="RecordOuterLosses">Evaluate F at every iterate (PTT).</param>
    /// <param name="KeepStates">Keep the optimizer state before every step (reverse with recompute).</param>
    public sealed record Plan(int FirstTrackedStep, bool RecordOuterLosses = false, bool KeepStates = false);

    /// <summary>w₀ … w_T (flat). w₀ is a leaf that requires grad and aliases the inner variables' values. Without PTT or
    /// recompute only w₀, w_{T−1} and w_T stay valid; the others are disposed as the loop goes.</summary>
    public List<Tensor> Iterates { get; } = new();
    /// <summary>The optimizer state before step t (only with <see cref="Plan.KeepStates"/>), detached.</summary>
    public List<OptimizerState> States { get; } = new();
    /// <summary>F(w_t) for t = 1 … T (only with <see cref="Plan.RecordOuterLosses"/>); index t − 1.</summary>
    public List<double> OuterLosses { get; } = new();

    /// <summary>‖∇_w g_0(w₀)‖, the scale the certificate's inner stationarity is relative to.</summary>
    public double InitialGradientNorm { get; private set; }

    public Tensor Start => Iterates[0];
    public Tensor Final => Iterates[^1];

    /// <summary>Runs T inner steps from the inner variables' current values.</summary>
    public static Trajectory Run(UnrollSession session, Plan plan)
    {
        var (problem, options) = (session.Problem, session.Options);
        var trajectory = new Trajectory();
        var start = problem.Inner.CreateLeaf();
        trajectory.Iterates.Add(start);
        var state = problem.InnerOptimizer.Init([start]);
        for (int t = 0; t < options.InnerSteps; t++)
        {
            bool tracked = t >= plan.FirstTrackedStep;
            if (plan.KeepStates) trajectory.States.Add(state.Detach());
            session.ObjectiveOfStep(t);   // drawn (and recorded) outside the step's scope: its batch outlives the step
            using var scope = NewDisposeScope();
            var current = trajectory.Iterates[t];
            // The first tracked step after untracked ones starts the graph at a fresh leaf.
            var w = tracked && current.requires_grad ? current : current.detach().requires_grad_(true);
            var gradient = session.InnerGradient(w, t, createGraph: tracked);
            if (t == 0)
                trajectory.InitialGradientNorm = session.Aggregate ? session.InnerGradientNorm(w, 0) : gradient.detach().norm().to_type(ScalarType.Float64).item<double>();
            OptimizerStep next;
            if (tracked) next = problem.InnerOptimizer.Step([w], [gradient], state);
            else using (no_grad()) next = problem.InnerOptimizer.Step([w.detach()], [gradient.detach()], state.Detach());
            var iterate = (tracked ? next.Parameters[0] : next.Parameters[0].detach()).MoveToOuterDisposeScope();
            var previous = state;
            state = tracked ? next.State : next.State.Detach();
            KeepAlive(state);
            // The replaced state's handles would otherwise live until the caller's scope ends: O(T·P) memory for
            // untracked steps (FO, FD, IGA, CG/NS after T steps). A tracked step's graph keeps what it needs.
            previous.DisposeTensorsReplacedBy(state);
            trajectory.Iterates.Add(iterate);
            // Only PTT (any iterate) and reverse with recompute (every iterate) look back further than w_{T−1};
            // tracked iterates stay alive in the graph anyway, untracked ones would otherwise cost O(T·P).
            if (!plan.RecordOuterLosses && !plan.KeepStates && t >= 2) trajectory.Iterates[t - 1].Dispose();
            if (plan.RecordOuterLosses)
                trajectory.OuterLosses.Add(OuterLossValue(session, iterate));
        }
        CheckFinite(problem, trajectory.Final, options);
        return trajectory;
    }

    static double OuterLossValue(UnrollSession session, Tensor w)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return session.OuterLoss(w.detach()).to_type(ScalarType.Float64).item<double>();
    }

    static void KeepAlive(OptimizerState state)
    {
        for (int p = 0; p < state.ParameterCount; p++)
            foreach (var slot in state.SlotsOf(p)) slot.MoveToOuterDisposeScope();
    }

    static void CheckFinite(UnrolledProblem problem, Tensor final, UnrolledOptions options)
    {
        using var scope = NewDisposeScope();
        if (final.isfinite().all().item<bool>()) return;
        var bad = problem.Inner.Names.Where((_, i) => !problem.Inner.View(final.detach(), i).isfinite().all().item<bool>());
        throw new HypergradException(
            $"The inner optimization diverged: after {options.InnerSteps} steps of {problem.InnerOptimizer.GetType().Name}, {string.Join(", ", bad)} contain NaN or Inf. " +
            "Lower the inner learning rate or the number of inner steps, or check the inner objective for log(0) or division by zero.");
    }
}
