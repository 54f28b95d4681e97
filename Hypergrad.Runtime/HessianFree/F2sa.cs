using System;
using System.IO;
using Hypergrad.Parameters;
using Hypergrad.SingleLoop;
using Hypergrad.Solving;
using static TorchSharp.torch;

namespace Hypergrad.HessianFree;

/// <summary>
/// F²SA (Kwon et al. 2023), first order: λ descends the penalty L_σ(λ) = min_w [F + σ g](w, λ) − σ min_y g(y, λ), whose
/// gradient is ∇_λF(w) + σ(∇_λg(w) − ∇_λg(y)) at the two minimizers (Danskin). One outer iteration:
/// <code>
/// InnerSteps times: w ← inner optimizer step along ∇_w g + ∇_w F / σ   (the penalized objective divided by σ)
///                   y ← y − η ∇_y g                                  (the lower-level copy; η = AuxiliaryStepSize)
/// λ along ∇_λF(w) + σ (∇_λ g(w) − ∇_λ g(y));   σ ← σ + δ / (t + 1)^(1/7)
/// </code>
/// Each inner step draws two inner batches and one outer batch (as benchopt's F²SA); the outer step one outer and two inner.
/// Dividing w's direction by σ is the paper's step α ∝ 1/σ, so the inner optimizer's learning rate suits g whatever σ.
/// No Hessian-vector product: the estimate is biased by O(1/σ), which the certificate says.
/// </summary>
internal sealed class F2sa : JointMethod
{
    private readonly int innerSteps;
    private readonly double growth;
    private readonly LowerLevelCopy copy = new();
    private double penalty;

    public F2sa(ParameterSet inner, ParameterSet outer, HypergradientSettings settings, double auxiliaryStep)
        : base(inner, outer, settings, auxiliaryStep)
    {
        var context = new OptionContext(Method.F2sa, null, false);
        innerSteps = InnerLoop.Steps(settings);
        penalty = settings.PenaltyStart ?? OptionRules.PenaltyStart.Default(context)!.Value;
        growth = settings.PenaltyGrowth ?? OptionRules.PenaltyGrowth.Default(context)!.Value;
    }

    protected override JointStep Take(IJointRun run, double scale)
    {
        for (int k = 0; k < innerSteps; k++)
        {
            var g = Oracles.Inner(run.NextInner().Objective);
            var lowerBatch = run.NextInner();
            var f = Oracles.Outer(run.NextOuter().Objective);
            run.InnerLoss(g.Value);
            copy.Step(Oracles, Inner, lowerBatch.Objective, AuxiliaryStep * scale, RequireFinite);
            run.StepInner(g.GradW.Plus(f.GradW.DividedBy(penalty)), scale);
        }
        var outer = Oracles.Outer(run.NextOuter().Objective);
        run.OuterLoss(outer.Value);
        var atW = Oracles.Inner(run.NextInner().Objective, lambdaGradient: true);
        var atY = Oracles.Inner(run.NextInner().Objective, at: copy.Value(Inner), lambdaGradient: true);
        var direction = outer.GradLambda.Plus((atW.GradLambda! - atY.GradLambda!).Scaled(penalty));
        double stationarity = Stationarity(atW.GradW);
        string approximation =
            $"F2sa's first-order estimate ∇_λF(w) + σ(∇_λg(w) − ∇_λg(y)) with penalty σ = {penalty:G4}: the gradient of the penalized problem, " +
            "biased by O(1/σ) from the bilevel hypergradient (exact only as σ grows with w and y at their minimizers); no Hessian-vector product";
        penalty += growth / Math.Pow(Iteration + 1, 1.0 / 7);
        return new JointStep(FirstOrder(direction, innerSteps, stationarity, approximation), scale);
    }

    protected override void SaveState(BinaryWriter writer)
    {
        writer.Write(penalty);
        copy.Save(writer);
    }

    protected override void LoadState(BinaryReader reader)
    {
        penalty = reader.ReadDouble();
        copy.Load(reader);
    }

    public override void Dispose() => copy.Dispose();
}
