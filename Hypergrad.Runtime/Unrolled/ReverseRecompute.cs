using System.Collections.Generic;
using System.Linq;
using Hypergrad.Autograd;
using Hypergrad.Optimizers;
using Hypergrad.Parameters;
using static TorchSharp.torch;

namespace Hypergrad.Unrolled;

/// <summary>
/// Reverse mode with recomputation: the forward pass keeps only the trajectory (weights and optimizer
/// state, no graph); the backward pass walks back from α = ∇_wF(w_T), recomputing one step
/// Φ(w_t, s_t, λ) at a time and applying its transposed Jacobian: λ̄ += (∂Φ/∂λ)ᵀα, α ← (∂Φ/∂(w, s))ᵀα.
/// Same result as ReverseUnroll; memory O(T·P) for the trajectory instead of T step graphs.
/// </summary>
static class ReverseRecompute
{
    public static HypergradientResult Compute(UnrollSession session)
    {
        var problem = session.Problem;
        if (problem.Outer is null)
            throw new HypergradException("ReverseRecompute differentiates with respect to outer variables, but the problem has none; pass the outer parameter set.");
        var outer = VariableList.Of(problem.Outer);
        int steps = session.Options.UnrollSteps;
        var warnings = new List<string>();

        using var enableGrad = enable_grad();
        using var scope = NewDisposeScope();
        var trajectory = Trajectory.Run(session, new Trajectory.Plan(FirstTrackedStep: steps, KeepStates: true));

        // α over (w, state slots); λ̄ starts at ∂F/∂λ.
        var wT = trajectory.Final.detach().requires_grad_(true);
        var start = Gradients.Of(session.OuterLoss(wT), "outer objective", [.. outer.Tensors, wT], [.. outer.Names, "inner variables"], unused: UnusedInput.Zero);
        var outerBar = start.Take(outer.Count).ToArray();
        var alpha = new List<Tensor> { start[^1] };
        alpha.AddRange(SlotTensors(trajectory.States[^1]).Select(s => zeros_like(s)));

        for (int t = steps - 1; t >= 0; t--)
        {
            using var stepScope = NewDisposeScope();
            var w = trajectory.Iterates[t].detach().requires_grad_(true);
            var before = trajectory.States[t];
            // The initial state is a constant: its cotangent is never needed (and SGD's first step does not even read it).
            var slots = SlotTensors(before).Select(s => t == 0 ? s.detach() : s.detach().requires_grad_(true)).ToArray();
            var state = new OptimizerState(before.Steps, before.SlotNames, [slots]);
            if (t == 0) slots = [];
            var next = problem.InnerOptimizer.Step([w], [session.InnerGradient(w, t, createGraph: true)], state);

            var outputs = new List<Tensor> { next.Parameters[0] };
            outputs.AddRange(SlotTensors(next.State));
            var inputs = new List<Tensor> { w };
            inputs.AddRange(slots);
            inputs.AddRange(outer.Tensors);
            var names = new List<string> { "inner variables" };
            if (slots.Length > 0) names.AddRange(before.SlotNames.Select(n => $"optimizer state {n}"));
            names.AddRange(outer.Names);
            var products = Gradients.VectorJacobianProduct(outputs, "inner step", alpha, inputs, names);

            foreach (var old in alpha) old.Dispose();            // only the latest cotangent is needed
            alpha = products.Take(1 + slots.Length).Select(p => p.MoveToOuterDisposeScope()).ToList();
            for (int i = 0; i < outer.Count; i++)
            {
                var sum = (outerBar[i].Plus(products[1 + slots.Length + i])).MoveToOuterDisposeScope();
                outerBar[i].Dispose();                             // else one λ̄ per step lives until the end
                outerBar[i] = sum;
            }
        }

        return UnrolledHypergradient.Finish(session, trajectory, outer, outerBar, warnings, Method.ReverseRecompute, steps, (HypergradientKind.ExactForUnrolledSteps, null));
    }

    static IReadOnlyList<Tensor> SlotTensors(OptimizerState state) => state.ParameterCount == 0 ? [] : state.SlotsOf(0);
}
