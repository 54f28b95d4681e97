using System;
using System.Collections.Generic;
using System.IO;
using static TorchSharp.torch;

namespace Hypergrad.Implicit;

/// <summary>
/// Nyström-preconditioned conjugate gradient (Frangella, Tropp &amp; Udell): CG on (A + ρI) x = v with the
/// preconditioner P⁻¹ = (λ_r + ρ) U (Λ + ρ)⁻¹ Uᵀ + (I − UUᵀ) from a rank-<see cref="Rank"/> <see cref="NystromSketch"/>
/// of A. Stops after <see cref="ImplicitSolver.Iterations"/> iterations or when ‖r‖ ≤ Tolerance·‖v‖ (the same rule as
/// <see cref="ConjugateGradient"/>, on the unpreconditioned residual), so a converged result is as accurate as CG's.
/// </summary>
/// <remarks>
/// <para>The sketch is kept between solves (successive outer steps have close Hessians) and rebuilt — the
/// refresh policy — on the first solve, after <see cref="RefreshInterval"/> solves with the same sketch, and
/// on the solve after one that needed more than <see cref="RefreshGrowth"/> times the iterations of the first
/// solve with the current sketch (plus 2). The sketch's k products are counted in the solve that builds it.
/// The n-th sketch uses seed <see cref="Seed"/> + n, so a run is reproducible; <see cref="SaveState"/> and
/// <see cref="LoadState"/> carry the sketch and the policy's counters through a checkpoint, so a resumed run
/// continues bit-exactly.</para>
/// <para>One instance per problem (it holds the sketch). Assumes A symmetric positive (semi-)definite; an
/// indefinite or singular sketched Hessian is clipped and reported in the warnings of the solve that built it.</para>
/// </remarks>
public sealed class NystromConjugateGradient : ImplicitSolver
{
    NystromSketch? sketch;
    int sketchesBuilt, solvesWithSketch, baselineIterations;
    bool refreshRequested;

    /// <inheritdoc/>
    public override Method Method => Method.NystromConjugateGradient;

    /// <summary>Sketch size k (capped at the number of inner values). Default 10.</summary>
    public int Rank { get; init; } = 10;

    /// <summary>Seed of the first sketch's test vectors (the n-th uses Seed + n). Default 0.</summary>
    public ulong Seed { get; init; }

    /// <summary>How the sketch's test vectors are chosen. Default <see cref="NystromSampling.Gaussian"/> (the better preconditioner on our benchmarks).</summary>
    public NystromSampling Sampling { get; init; } = NystromSampling.Gaussian;

    /// <summary>Solves (outer steps) between two sketch refreshes; 1 rebuilds it every solve. Default 10.</summary>
    public int RefreshInterval { get; init; } = 10;

    /// <summary>Refresh after a solve needing more than this factor times the iterations of the first solve with the sketch (plus 2). Default 1.5.</summary>
    public double RefreshGrowth { get; init; } = 1.5;

    /// <summary>Sketches built so far by this instance.</summary>
    public int SketchesBuilt => sketchesBuilt;

    /// <inheritdoc/>
    public override LinearSolution Solve(LinearSystem system, Tensor v, Tensor? initial)
    {
        if (Rank < 1)
            throw new HypergradException($"NystromConjugateGradient needs Rank ≥ 1 (got {Rank}).");
        if (RefreshInterval < 1)
            throw new HypergradException($"NystromConjugateGradient needs RefreshInterval ≥ 1 (got {RefreshInterval}); 1 rebuilds the sketch on every solve.");
        if (!(Damping >= 0) || double.IsInfinity(Damping))
            throw new HypergradException($"NystromConjugateGradient needs Damping (Rho) ≥ 0 and finite (got {Damping}).");

        var warnings = new List<string>();
        bool built = false;
        if (sketch is null || sketch.Size != system.Size || refreshRequested || solvesWithSketch >= RefreshInterval)
        {
            var next = NystromSketch.Build(system, v, Rank, Sampling, Seed + (ulong)sketchesBuilt, Method).Keep();
            sketch?.Dispose();
            sketch = next;
            sketchesBuilt++;
            solvesWithSketch = 0;
            refreshRequested = false;
            built = true;
            warnings.AddRange(sketch.Warnings);
        }
        var current = sketch;
        var solution = ConjugateGradient.Run(this, x => system.Apply(x, Damping), v, StartAt(v, initial), initial is not null,
            r => current.Precondition(r, Damping));
        solvesWithSketch++;
        if (built) baselineIterations = solution.Iterations;
        else if (solution.Iterations > RefreshGrowth * baselineIterations + 2) refreshRequested = true;
        if (solution.Warning is not null) warnings.Add(solution.Warning);
        return solution with { Warning = Nystrom.Join(warnings) };
    }

    /// <summary>Frees the kept sketch; the next solve builds a new one.</summary>
    internal void ForgetSketch()
    {
        sketch?.Dispose();
        sketch = null;
    }

    /// <summary>Writes the sketch and the refresh counters (for checkpoints).</summary>
    public void SaveState(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(sketchesBuilt);
        writer.Write(solvesWithSketch);
        writer.Write(baselineIterations);
        writer.Write(refreshRequested);
        writer.Write(sketch is not null);
        sketch?.Save(writer);
    }

    /// <summary>Restores what <see cref="SaveState"/> wrote.</summary>
    public void LoadState(BinaryReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        sketchesBuilt = reader.ReadInt32();
        solvesWithSketch = reader.ReadInt32();
        baselineIterations = reader.ReadInt32();
        refreshRequested = reader.ReadBoolean();
        sketch?.Dispose();
        sketch = reader.ReadBoolean() ? NystromSketch.Load(reader) : null;
    }
}
