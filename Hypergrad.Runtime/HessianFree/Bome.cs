using System;
using System.IO;
using Hypergrad.Parameters;
using Hypergrad.SingleLoop;
using Hypergrad.Solving;
using TorchSharp;
using static TorchSharp.torch;

namespace Hypergrad.HessianFree;

/// <summary>
/// BOME (Liu et al. 2022), first order: min F s.t. q(w, λ) = g(w, λ) − g(y_T, λ) ≤ 0, where y_T is InnerSteps gradient steps
/// on g from the current w (step η = AuxiliaryStepSize, treated as a constant of w). One iteration, on one inner and one
/// outer batch:
/// <code>
/// ∇q = (∇_w g(w), ∇_λ g(w) − ∇_λ g(y_T));   φ = η_B ‖∇q‖²   (η_B = Eta; benchopt's "grad_norm" control)
/// μ = max(φ − ⟨∇F, ∇q⟩, 0) / ‖∇q‖²   (0 when ∇q = 0: already at the lower-level solution)
/// w along ∇_w F + μ ∇_w q (inner optimizer);  λ along ∇_λ F + μ ∇_λ q (outer optimizer)
/// </code>
/// The direction is the closest one to ∇F that decreases q at rate φ. It never vanishes (that would need φ = 0), so the
/// iterates do not converge: they settle within O(step size) of the point where ∇F is balanced by q's gradient in the
/// limit q → 0, which is where the hypergradient with H⁻¹ replaced by the InnerSteps-term series of y_T's gradient steps
/// vanishes (docs/methods.md); that point is geometrically close to the bilevel solution in InnerSteps. The certificate
/// says so.
/// </summary>
internal sealed class Bome : JointMethod
{
    private readonly int innerSteps;
    private readonly double eta;
    private readonly LowerLevelCopy copy = new();

    public Bome(ParameterSet inner, ParameterSet outer, HypergradientSettings settings, double auxiliaryStep)
        : base(inner, outer, settings, auxiliaryStep)
    {
        innerSteps = InnerLoop.Steps(settings);
        eta = settings.Eta ?? OptionRules.Eta.Default(new OptionContext(Method.Bome, null, false))!.Value;
    }

    protected override JointStep Take(IJointRun run, double scale)
    {
        var innerBatch = run.NextInner();
        var f = Oracles.Outer(run.NextOuter().Objective);
        var atW = Oracles.Inner(innerBatch.Objective, lambdaGradient: true);
        run.InnerLoss(atW.Value);
        run.OuterLoss(f.Value);
        copy.Reset(Inner.Flat);
        for (int k = 0; k < innerSteps; k++) copy.Step(Oracles, Inner, innerBatch.Objective, AuxiliaryStep, RequireFinite);
        var atY = Oracles.Inner(innerBatch.Objective, at: copy.Value(Inner), lambdaGradient: true);

        var qW = atW.GradW;
        var qLambda = atW.GradLambda! - atY.GradLambda!;
        double squaredNorm = qW.dot(qW).ToDouble() + qLambda.dot(qLambda).ToDouble();
        double alignment = f.GradW.dot(qW).ToDouble() + f.GradLambda.dot(qLambda).ToDouble();
        double multiplier = squaredNorm > 0 ? Math.Max(eta * squaredNorm - alignment, 0) / squaredNorm : 0;
        double stationarity = Stationarity(qW);
        run.StepInner(f.GradW.Plus(qW.Scaled(multiplier)), scale);
        string approximation =
            $"Bome's first-order direction ∇F + μ∇q (μ = {multiplier:G4}) with q = g − g(y_T), y_T from {innerSteps} gradient steps: it descends F while " +
            $"decreasing q, not along the exact bilevel hypergradient; the iterates settle within O(step size) of a point whose distance to the bilevel " +
            $"solution shrinks geometrically with InnerSteps ({innerSteps}), and do not converge further with constant steps; no Hessian-vector product";
        return new JointStep(FirstOrder(f.GradLambda.Plus(qLambda.Scaled(multiplier)), innerSteps, stationarity, approximation), scale);
    }

    protected override void SaveState(BinaryWriter writer) => copy.Save(writer);

    protected override void LoadState(BinaryReader reader) => copy.Load(reader);

    public override void Dispose() => copy.Dispose();
}
