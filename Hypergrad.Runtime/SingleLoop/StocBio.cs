using System.IO;
using Hypergrad.Parameters;
using Hypergrad.Solving;
using static TorchSharp.torch;

namespace Hypergrad.SingleLoop;

/// <summary>
/// StocBiO (Ji, Yang and Liang 2021), one outer iteration:
/// <code>
/// InnerSteps SGD steps on w (one inner batch each)
/// v = ∇_w F (one outer batch);  z = η Σ_{k=0}^{K} Π_{i≤k} (I − η H_{b_i}) v   (K = Iterations HVPs, one inner batch each)
/// λ along ∇_λ F − ∂²_{λw} g · z   (one more inner batch)
/// </code>
/// the stochastic Neumann series of benchopt's <c>shia</c> (K products, K + 1 terms, as Method.Neumann counts them), with step
/// η = AuxiliaryStepSize (not scheduled: the series approximates H⁻¹ only with its own step).
/// </summary>
internal sealed class StocBio : JointMethod
{
    private readonly int innerSteps;
    private readonly int terms;

    public StocBio(ParameterSet inner, ParameterSet outer, HypergradientSettings settings, double auxiliaryStep)
        : base(inner, outer, settings, auxiliaryStep)
    {
        innerSteps = InnerLoop.Steps(settings);
        terms = InnerLoop.Iterations(settings);
    }

    protected override JointStep Take(IJointRun run, double scale)
    {
        InnerLoop.Run(Oracles, run, innerSteps, scale);
        var f = Oracles.Outer(run.NextOuter().Objective);
        run.OuterLoss(f.Value);

        var power = f.GradW;
        var sum = f.GradW.clone();
        for (int k = 0; k < terms; k++)
        {
            var sample = Oracles.Inner(run.NextInner().Objective, z: power);
            power = power - sample.Hz!.Scaled(AuxiliaryStep);
            sum.Plus_(power);
        }
        var z = sum.Scaled(AuxiliaryStep);
        RequireFinite(z, "the Neumann estimate z of H⁻¹∇_wF");

        var cross = Oracles.Inner(run.NextInner().Objective, z: z);
        run.InnerLoss(cross.Value);
        double residual = RelativeResidual(cross.Hz!, f.GradW);
        double stationarity = Stationarity(cross.GradW);
        return new JointStep(Estimate(f.GradLambda - cross.CrossZ!, terms, residual, terms + 1, stationarity), scale);
    }

    protected override void SaveState(BinaryWriter writer) { }

    protected override void LoadState(BinaryReader reader) { }

    public override void Dispose() { }
}
