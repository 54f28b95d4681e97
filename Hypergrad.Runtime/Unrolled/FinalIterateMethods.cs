using System.Collections.Generic;
using System.Linq;
using Hypergrad.Autograd;
using Hypergrad.Optimizers;
using static TorchSharp.torch;

namespace Hypergrad.Unrolled;

/// <summary>
/// The methods that need no graph through the trajectory, only the last inner step: finite difference
/// (DARTS) and gradient alignment (IGA). Each returns one gradient per outer variable.
/// </summary>
static class FinalIterateMethods
{
    /// <summary>
    /// FD (DARTS): ∇_λF(w_T) − η·[∇_λg(w_{T−1} + εv) − ∇_λg(w_{T−1} − εv)]/(2ε) with v = ∇_wF(w_T), ε = r/‖v‖:
    /// the one-step unrolled gradient of the last step, its mixed second derivative (∂²_{λw}g)·v replaced
    /// by a central difference (exact when ∇_λg is linear in w).
    /// </summary>
    public static Tensor[] FiniteDifference(UnrollSession session, Trajectory trajectory, VariableList outer, List<string> warnings)
    {
        double eta = StepSize(session);
        int last = session.Options.UnrollSteps - 1;
        var wT = trajectory.Final.detach().requires_grad_(true);
        var all = Gradients.Of(session.OuterLoss(wT), "outer objective", [.. outer.Tensors, wT], [.. outer.Names, "inner variables"], unused: UnusedInput.Zero);
        var direct = all.Take(outer.Count).ToArray();
        var v = all[^1];
        double norm = v.norm().item<double>();
        if (norm == 0)
        {
            warnings.Add("FiniteDifference: ∇_wF is exactly zero at the final iterate, so the second-order term vanishes; the hypergradient is ∇_λF.");
            return direct;
        }
        double epsilon = session.Options.FiniteDifferenceRadius / norm;
        var start = trajectory.Iterates[last].detach();
        var plus = OuterGradient(session.InnerLoss(start.Plus(v.Scaled(epsilon)), last), outer);
        var minus = OuterGradient(session.InnerLoss(start - v.Scaled(epsilon), last), outer);
        return direct.Select((d, i) => d - (plus[i] - minus[i]).Scaled(eta / (2 * epsilon))).ToArray();
    }

    /// <summary>IGA: ∇_λ(F − c·g) at w_T with c = ⟨∇_wF, ∇_wg⟩/‖∇_wg‖² held constant.</summary>
    public static Tensor[] GradientAlignment(UnrollSession session, Trajectory trajectory, VariableList outer, List<string> warnings)
    {
        var wT = trajectory.Final.detach().requires_grad_(true);
        var outerLoss = session.OuterLoss(wT);
        var innerLoss = session.InnerLoss(wT, session.Options.UnrollSteps - 1);
        var dF = Gradients.Of(outerLoss, "outer objective", [wT], ["inner variables"], unused: UnusedInput.Zero)[0];
        var dg = Gradients.Of(innerLoss, "inner objective", [wT], ["inner variables"], unused: UnusedInput.Zero)[0];
        // At a stationary iterate c = ⟨∇_wF, ∇_wg⟩/‖∇_wg‖² is 0/0: dividing by a vanishing norm amplifies rounding without
        // bound (a hypergradient off by 1e15 at a converged trajectory). Below the certificate's tolerance, no correction.
        double norm = dg.norm().to_type(ScalarType.Float64).item<double>();
        double tolerance = session.Options.Tolerance * trajectory.InitialGradientNorm;
        if (norm <= tolerance)
        {
            warnings.Add($"GradientAlignment: the final iterate is stationary (‖∇_wg(w_T)‖ = {norm:G3} ≤ tolerance·‖∇_wg(w_0)‖ = {tolerance:G3}), where the alignment " +
                "coefficient ⟨∇_wF, ∇_wg⟩/‖∇_wg‖² is undefined; no correction was applied, so the hypergradient is ∇_λF alone and lacks the implicit term. " +
                "At an inner solution use an implicit method (e.g. Method.ConjugateGradient).");
            return OuterGradient(outerLoss, outer);
        }
        double c = dF.dot(dg).to_type(ScalarType.Float64).item<double>() / (norm * norm);
        return OuterGradient(outerLoss - innerLoss.Scaled(c), outer);
    }

    /// <summary>∂loss/∂λ, zeros where the loss does not depend on an outer variable.</summary>
    static Tensor[] OuterGradient(Tensor loss, VariableList outer) =>
        loss.requires_grad
            ? Gradients.Of(loss, "objective", outer.Tensors, outer.Names, unused: UnusedInput.Zero)
            : outer.Tensors.Select(t => zeros_like(t)).ToArray();

    static double StepSize(UnrollSession session)
    {
        if (session.Options.FiniteDifferenceStepSize is { } eta) return eta;
        if (session.Problem.InnerOptimizer is DifferentiableSgd { LearningRate.IsConstant: true, Momentum.IsZero: true } sgd) return sgd.LearningRate.Constant;
        throw new HypergradException(
            $"FiniteDifference needs the inner step size η of the differentiated step, and the inner optimizer ({session.Problem.InnerOptimizer.GetType().Name}) is not plain SGD with a constant learning rate; " +
            "set UnrolledOptions.FiniteDifferenceStepSize.");
    }
}
