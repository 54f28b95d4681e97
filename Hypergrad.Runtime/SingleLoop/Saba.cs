using System.IO;
using Hypergrad.Parameters;
using Hypergrad.Solving;
using System;
using TorchSharp;
using static TorchSharp.torch;

namespace Hypergrad.SingleLoop;

/// <summary>
/// SABA (Dagréou et al. 2022): SOBA whose five oracles (∇_w g, H z, ∂²_{λw} g · z on the inner batch i; ∇_w F, ∇_λ F on the
/// outer batch j) are replaced by SAGA estimates over the finite datasets, each from a table with one row per batch:
/// <code>
/// d = new − table[i] + mean;  mean ← mean + (new − table[i]) / n;  table[i] ← new
/// </code>
/// (benchopt's "zero" initial memory: tables and means start at 0). Then w, z and λ step as in SOBA along the d's. Memory:
/// per inner batch 2 inner-sized and 1 outer-sized rows, per outer batch one of each. Constant steps (StepExponent 0).
/// </summary>
internal sealed class Saba : JointMethod
{
    private readonly SagaTable innerGradient, hessianZ, crossZ, outerGradientW, outerGradientLambda;
    private Tensor? z;

    // innerBatches, outerBatches: the sizes of the finite datasets (one memory row per batch).
    public Saba(ParameterSet inner, ParameterSet outer, HypergradientSettings settings, double auxiliaryStep, int innerBatches, int outerBatches)
        : base(inner, outer, settings, auxiliaryStep)
    {
        innerGradient = new SagaTable(innerBatches, inner.Size, inner.DType);
        hessianZ = new SagaTable(innerBatches, inner.Size, inner.DType);
        crossZ = new SagaTable(innerBatches, outer.Size, outer.DType);
        outerGradientW = new SagaTable(outerBatches, inner.Size, inner.DType);
        outerGradientLambda = new SagaTable(outerBatches, outer.Size, outer.DType);
    }

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
        var dGradW = innerGradient.Reduce(innerBatch.Index, g.GradW);
        var dHz = hessianZ.Reduce(innerBatch.Index, g.Hz!);
        var dCross = crossZ.Reduce(innerBatch.Index, g.CrossZ!);
        var dOuterW = outerGradientW.Reduce(outerBatch.Index, f.GradW);
        var dOuterLambda = outerGradientLambda.Reduce(outerBatch.Index, f.GradLambda);

        z = Replace(z, current - (dHz - dOuterW).Scaled(AuxiliaryStep * scale), "z (the estimate of H⁻¹∇_wF)");
        run.StepInner(dGradW, scale);
        return new JointStep(Estimate(dOuterLambda - dCross, 1, residual, 1, stationarity), scale);
    }

    protected override void SaveState(BinaryWriter writer)
    {
        Write(writer, z);
        foreach (var table in Tables) table.Save(writer);
    }

    protected override void LoadState(BinaryReader reader)
    {
        z = Read(reader, z);
        foreach (var table in Tables) table.Load(reader);
    }

    private SagaTable[] Tables => new[] { innerGradient, hessianZ, crossZ, outerGradientW, outerGradientLambda };

    public override void Dispose()
    {
        z?.Dispose();
        z = null;
        foreach (var table in Tables) table.Dispose();
    }
}

/// <summary>One SAGA memory: the last value seen per batch of a finite dataset, and their mean.</summary>
internal sealed class SagaTable : System.IDisposable
{
    private readonly Tensor rows;
    private readonly Tensor mean;

    public SagaTable(int batches, long size, ScalarType dtype)
    {
        rows = zeros(batches, size, dtype: dtype).DetachFromDisposeScope();
        mean = zeros(size, dtype: dtype).DetachFromDisposeScope();
    }

    /// <summary>The variance-reduced estimate for batch <paramref name="index"/>'s new value, after which the memory holds it.</summary>
    public Tensor Reduce(int index, Tensor value)
    {
        if (index < 0 || index >= rows.shape[0])
            throw new HypergradException(
                $"Method.Saba drew batch {index} but its memory holds {rows.shape[0]} batches; pass the same FiniteBatches the run started with.");
        using var row = rows[index];
        var difference = value - row;
        var estimate = difference.Plus(mean);
        using (no_grad())
        {
            mean.PlusScaled_(difference, 1.0 / rows.shape[0]);
            row.copy_(value);
        }
        return estimate;
    }

    public void Save(BinaryWriter writer)
    {
        rows.Save(writer);
        mean.Save(writer);
    }

    public void Load(BinaryReader reader)
    {
        using var savedRows = Tensor.Load(reader);
        using var savedMean = Tensor.Load(reader);
        if (!savedRows.shape.AsSpan().SequenceEqual(rows.shape))
            throw new HypergradException(
                $"The checkpoint's Method.Saba memory holds {savedRows.shape[0]} batches of {savedRows.shape[1]} values, this run's {rows.shape[0]} of {rows.shape[1]}; resume with the same datasets.");
        rows.copy_(savedRows);
        mean.copy_(savedMean);
    }

    public void Dispose()
    {
        rows.Dispose();
        mean.Dispose();
    }
}
