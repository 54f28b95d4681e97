using System.IO;
using Hypergrad.Parameters;
using Hypergrad.Solving;
using static TorchSharp.torch;

namespace Hypergrad.SingleLoop;

/// <summary>
/// AmIGO (Arbel and Mairal 2022), one outer iteration:
/// <code>
/// InnerSteps SGD steps on w (one inner batch each)
/// v = ∇_w F (one outer batch);  Iterations SGD steps z ← z − η (H_b z − v), warm-started from the last iteration's z
/// λ along ∇_λ F − ∂²_{λw} g · z   (one more inner batch)
/// </code>
/// with η = AuxiliaryStepSize (not scheduled, as benchopt's AmIGO).
/// </summary>
internal sealed class Amigo : JointMethod
{
    private readonly int innerSteps;
    private readonly int linearSteps;
    private Tensor? z;

    public Amigo(ParameterSet inner, ParameterSet outer, HypergradientSettings settings, double auxiliaryStep)
        : base(inner, outer, settings, auxiliaryStep)
    {
        innerSteps = InnerLoop.Steps(settings);
        linearSteps = InnerLoop.Iterations(settings);
    }

    protected override JointStep Take(IJointRun run, double scale)
    {
        InnerLoop.Run(Oracles, run, innerSteps, scale);
        var f = Oracles.Outer(run.NextOuter().Objective);
        run.OuterLoss(f.Value);

        var current = z ?? zeros_like(Inner.Flat);
        for (int k = 0; k < linearSteps; k++)
        {
            var sample = Oracles.Inner(run.NextInner().Objective, z: current);
            current = current - (sample.Hz! - f.GradW).Scaled(AuxiliaryStep);
        }
        z = Replace(z, current, "z (the estimate of H⁻¹∇_wF)");

        var cross = Oracles.Inner(run.NextInner().Objective, z: z);
        run.InnerLoss(cross.Value);
        double residual = RelativeResidual(cross.Hz!, f.GradW);
        double stationarity = Stationarity(cross.GradW);
        return new JointStep(Estimate(f.GradLambda - cross.CrossZ!, linearSteps, residual, linearSteps + 1, stationarity), scale);
    }

    protected override void SaveState(BinaryWriter writer) => Write(writer, z);

    protected override void LoadState(BinaryReader reader) => z = Read(reader, z);

    public override void Dispose()
    {
        z?.Dispose();
        z = null;
    }
}
