using System.IO;
using Hypergrad.Parameters;
using Hypergrad.Solving;
using static TorchSharp.torch;

namespace Hypergrad.SingleLoop;

/// <summary>
/// SOBA (Dagréou et al. 2022), one iteration on one inner batch and one outer batch, all at (w_t, z_t, λ_t):
/// <code>
/// w ← w − ρ_t ∇_w g                       (the inner optimizer; ρ its learning rate)
/// z ← z − η_t (H z − ∇_w F)              (η = AuxiliaryStepSize)
/// λ ← λ − γ_t (∇_λ F − ∂²_{λw} g · z)    (the outer optimizer, along the returned direction)
/// </code>
/// z estimates H⁻¹∇_w F (benchopt keeps v = −z). H z and ∂²_{λw} g · z come from one vector–Jacobian product. Steps are
/// scaled by 1/(t + 1)^a (StepExponent; benchopt's SOBA: a = 0.5).
/// </summary>
internal class Soba : JointMethod
{
    private Tensor? z;

    public Soba(ParameterSet inner, ParameterSet outer, HypergradientSettings settings, double auxiliaryStep)
        : base(inner, outer, settings, auxiliaryStep) { }

    protected override JointStep Take(IJointRun run, double scale)
    {
        var innerBatch = run.NextInner();
        var outerBatch = run.NextOuter();
        var current = z ?? zeros_like(Inner.Flat);
        var g = Oracles.Inner(innerBatch.Objective, z: current);
        var f = Oracles.Outer(outerBatch.Objective);
        run.InnerLoss(g.Value);
        run.OuterLoss(f.Value);

        double residual = RelativeResidual(g.Hz!, f.GradW);
        double stationarity = Stationarity(g.GradW);
        var estimate = f.GradLambda - g.CrossZ!;
        var nextZ = current - (g.Hz! - f.GradW).Scaled(AuxiliaryStep * scale);
        z = Replace(z, nextZ, "z (the estimate of H⁻¹∇_wF)");
        run.StepInner(g.GradW, scale);
        return new JointStep(Estimate(Direction(estimate), 1, residual, 1, stationarity), scale);
    }

    /// <summary>The direction λ steps along: the estimate itself (MA-SOBA averages it).</summary>
    protected virtual Tensor Direction(Tensor estimate) => estimate;

    protected override void SaveState(BinaryWriter writer) => Write(writer, z);

    protected override void LoadState(BinaryReader reader) => z = Read(reader, z);

    public override void Dispose()
    {
        z?.Dispose();
        z = null;
    }
}

/// <summary>
/// MA-SOBA (Chen, Xu and Zhang 2023): SOBA whose λ steps along a moving average of its estimates,
/// h ← (1 − θ) h + θ D (h₀ = 0, θ = Averaging), which removes SOBA's need for a decreasing schedule.
/// </summary>
internal sealed class MaSoba : Soba
{
    private readonly double theta;
    private Tensor? average;

    public MaSoba(ParameterSet inner, ParameterSet outer, HypergradientSettings settings, double auxiliaryStep)
        : base(inner, outer, settings, auxiliaryStep) =>
        theta = settings.Averaging ?? OptionRules.Averaging.Default(new OptionContext(Method.MaSoba, null, false))!.Value;

    protected override Tensor Direction(Tensor estimate)
    {
        var next = average is null ? estimate.Scaled(theta) : average.Scaled(1 - theta).Plus(estimate.Scaled(theta));
        average = Replace(average, next, "the moving average of the hypergradient estimates");
        return average;
    }

    protected override void SaveState(BinaryWriter writer)
    {
        base.SaveState(writer);
        Write(writer, average);
    }

    protected override void LoadState(BinaryReader reader)
    {
        base.LoadState(reader);
        average = Read(reader, average);
    }

    public override void Dispose()
    {
        base.Dispose();
        average?.Dispose();
        average = null;
    }
}
