using System.IO;
using Hypergrad.Parameters;
using Hypergrad.SingleLoop;
using Hypergrad.Solving;

namespace Hypergrad.HessianFree;

/// <summary>
/// PGDM, the penalty-based bilevel gradient descent of Shen and Chen 2023 (V-PBGD), first order: (w, λ) descend the penalty
/// F(w, λ) + σ (g(w, λ) − v(λ)) with a constant σ = PenaltyStart, where v(λ) = min_y g(y, λ) comes from the lower-level copy
/// y (∇v = ∇_λ g(y*, λ), Danskin). One iteration:
/// <code>
/// InnerSteps times: y ← y − η ∇_y g   (warm-started copy, one inner batch each; η = AuxiliaryStepSize)
/// on one inner and one outer batch: w along ∇_w g + ∇_w F / σ;   λ along ∇_λ g(w) − ∇_λ g(y) + ∇_λ F / σ
/// </code>
/// Both directions are the penalty's gradient divided by σ: the paper's joint step α ≤ 1/(σ L) is the optimizers' learning
/// rates divided by σ, so the rates suit g whatever σ (and λ moves O(1/σ) per step). Its fixed point is the penalized
/// problem's, O(1/σ) from the bilevel solution, which the certificate says.
/// </summary>
internal sealed class Pgdm : JointMethod
{
    private readonly int innerSteps;
    private readonly double penalty;
    private readonly LowerLevelCopy copy = new();

    public Pgdm(ParameterSet inner, ParameterSet outer, HypergradientSettings settings, double auxiliaryStep)
        : base(inner, outer, settings, auxiliaryStep)
    {
        innerSteps = InnerLoop.Steps(settings);
        penalty = settings.PenaltyStart ?? OptionRules.PenaltyStart.Default(new OptionContext(Method.Pgdm, null, false))!.Value;
    }

    protected override JointStep Take(IJointRun run, double scale)
    {
        for (int k = 0; k < innerSteps; k++)
            copy.Step(Oracles, Inner, run.NextInner().Objective, AuxiliaryStep * scale, RequireFinite);
        var innerBatch = run.NextInner();
        var f = Oracles.Outer(run.NextOuter().Objective);
        var atW = Oracles.Inner(innerBatch.Objective, lambdaGradient: true);
        var atY = Oracles.Inner(innerBatch.Objective, at: copy.Value(Inner), lambdaGradient: true);
        run.InnerLoss(atW.Value);
        run.OuterLoss(f.Value);
        var direction = (atW.GradLambda! - atY.GradLambda!).Plus(f.GradLambda.DividedBy(penalty));
        double stationarity = Stationarity(atW.GradW);
        run.StepInner(atW.GradW.Plus(f.GradW.DividedBy(penalty)), scale);
        string approximation =
            $"Pgdm's penalty gradient (∇_λF + σ(∇_λg(w) − ∇_λg(y)))/σ with σ = {penalty:G4}: its fixed point solves the penalized problem, O(1/σ) from the bilevel solution; " +
            "no Hessian-vector product";
        return new JointStep(FirstOrder(direction, innerSteps, stationarity, approximation), scale);
    }

    protected override void SaveState(BinaryWriter writer) => copy.Save(writer);

    protected override void LoadState(BinaryReader reader) => copy.Load(reader);

    public override void Dispose() => copy.Dispose();
}
