using System;
using System.Collections.Generic;
using System.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace Hypergrad.Implicit;

/// <summary>
/// A rank-r Nyström approximation Ĥ = U diag(Λ) Uᵀ of a symmetric positive semi-definite A (the Hessian),
/// built from k products Y = AΩ: Ĥ = Y (ΩᵀY)⁺ Yᵀ.
/// </summary>
/// <remarks>
/// Stable form: the core M = ΩᵀAΩ (k × k) is never passed to a linear solver. It is symmetrised and
/// eigendecomposed, M = V diag(m) Vᵀ; eigenvalues at most τ = max(k, 10)·ε·max|m| are dropped (clipped at 0),
/// so B = Y V₊ diag(m₊)^(−½) exists, Ĥ = BBᵀ, and the thin SVD B = U Σ gives Λ = Σ². A core with eigenvalues
/// below −τ means A is indefinite where it was sketched (the inner point is not a minimum); one with dropped
/// eigenvalues means A is singular there (or k exceeds its rank). Both are reported in <see cref="Warnings"/>,
/// never thrown. With k = P (every coordinate) and A positive definite, Ĥ = A up to rounding.
/// </remarks>
public sealed class NystromSketch : IDisposable
{
    NystromSketch(Tensor basis, Tensor eigenvalues, long size, int products, IReadOnlyList<string> warnings)
    {
        Basis = basis;
        Eigenvalues = eigenvalues;
        Size = size;
        Products = products;
        Warnings = warnings;
        smallest = eigenvalues.numel() > 0 ? eigenvalues[-1].ToDouble() : 0;
    }

    readonly double smallest;

    /// <summary>U: P × r, orthonormal columns.</summary>
    public Tensor Basis { get; }

    /// <summary>Λ: r eigenvalues, positive, descending.</summary>
    public Tensor Eigenvalues { get; }

    /// <summary>P: the number of unknowns.</summary>
    public long Size { get; }

    /// <summary>r: the retained rank (≤ k).</summary>
    public long Rank => Eigenvalues.numel();

    /// <summary>True when U spans the whole space (r = P): then (Ĥ + ρI)⁻¹ has no complement term.</summary>
    public bool IsComplete => Rank == Size;

    /// <summary>Products with A spent to build the sketch (k).</summary>
    public int Products { get; }

    /// <summary>What was clipped (indefinite or singular core), if anything.</summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>Builds the sketch from <paramref name="rank"/> products with <paramref name="system"/> (which must be symmetric).</summary>
    /// <param name="system">A, applied matrix-free.</param>
    /// <param name="like">A flat vector giving dtype and device.</param>
    /// <param name="rank">k, capped at the number of unknowns.</param>
    /// <param name="sampling">Coordinates or Gaussian test vectors.</param>
    /// <param name="seed">Seed of the test vectors: the same seed gives the same sketch.</param>
    /// <param name="method">The method building it (named in warnings).</param>
    public static NystromSketch Build(LinearSystem system, Tensor like, int rank, NystromSampling sampling, ulong seed, Method method)
    {
        long p = system.Size;
        int k = (int)Math.Min(rank, p);
        var generator = new Generator(seed);
        using var scope = NewDisposeScope();
        Tensor y, core;                                               // Y = (AΩ)ᵀ as k × P rows; M = ΩᵀAΩ
        {
            var rows = new Tensor[k];
            if (sampling == NystromSampling.Columns)
            {
                var index = randperm(p, generator: generator).narrow(0, 0, k).to(like.device);
                var indices = index.data<long>().ToArray();
                // One reusable unit vector: e_i is set, applied and cleared (no k × P one-hot).
                using var unit = zeros_like(like);
                for (int i = 0; i < k; i++)
                {
                    using (var entry = unit[indices[i]]) entry.Fill_(1);
                    rows[i] = system.Apply(unit);
                    using (var entry = unit[indices[i]]) entry.Fill_(0);
                }
                y = stack(rows);
                core = y.index_select(1, index);
            }
            else
            {
                // Orthonormal Ω (reduced QR of a Gaussian P × k): its columns are well conditioned test vectors.
                var (q, _) = linalg.qr(randn(p, k, dtype: like.dtype, generator: generator).to(like.device));
                var omegaRows = q.T.contiguous();
                for (int i = 0; i < k; i++) rows[i] = system.Apply(omegaRows[i]);
                y = stack(rows);
                core = y.mm(q);
            }
            core = core.Plus(core.T).DividedBy(2);
        }
        return FromCore(y, core, k, p, method);
    }

    // Runs inside Build's dispose scope; moves only U and Λ out of it.
    static NystromSketch FromCore(Tensor y, Tensor core, int k, long p, Method method)
    {
        var warnings = new List<string>();
        // Checked before eigh: libtorch's eigh throws a native error on NaN input.
        if (!core.isfinite().all().ToBoolean() || !y.isfinite().all().ToBoolean())
            throw new HypergradException($"{method} produced a non-finite Nyström sketch of H (a Hessian-vector product is NaN/Inf). Nothing was changed. " +
                "Check the objectives for NaN at the current variables, or lower the inner step size.");
        var (m, v) = linalg.eigh(core);                               // ascending
        var values = m.to(float64).data<double>().ToArray();
        double largest = 0;
        foreach (var value in values) largest = Math.Max(largest, Math.Abs(value));
        double epsilon = y.dtype == float64 ? 2.2e-16 : 1.2e-7;
        double threshold = Math.Max(k, 10) * epsilon * largest;
        int negative = 0, dropped = 0;
        double mostNegative = 0;
        var keep = new List<long>();
        for (int i = 0; i < values.Length; i++)
        {
            if (values[i] > threshold) keep.Add(i);
            else if (values[i] < -threshold) { negative++; mostNegative = Math.Min(mostNegative, values[i]); }
            else dropped++;
        }
        if (negative > 0)
            warnings.Add($"{method}: the Hessian is indefinite where it was sketched ({negative} of {k} sketched eigenvalues negative, down to {mostNegative:G3}; " +
                "the inner variables are not at a minimum): they were clipped at 0, so the result approximates (H₊ + ρI)⁻¹. Train the inner problem longer, or raise Rho.");
        if (dropped > 0 && largest > 0)
            warnings.Add($"{method}: the Hessian is singular where it was sketched ({dropped} of {k} sketched eigenvalues ≈ 0): those directions are taken as zero curvature, " +
                "so only ρ regularises them. Lower Rank to H's rank, or raise Rho.");
        if (keep.Count == 0)
        {
            if (largest == 0) warnings.Add($"{method}: the sketched Hessian is zero: (H + ρI)⁻¹ is approximated by I/ρ.");
            var emptyBasis = zeros(p, 0, dtype: y.dtype, device: y.device).MoveToOuterDisposeScope();
            var emptyValues = zeros(0, dtype: y.dtype, device: y.device).MoveToOuterDisposeScope();
            return new NystromSketch(emptyBasis, emptyValues, p, k, warnings);
        }
        var kept = tensor(keep.ToArray(), device: y.device);
        // B = Yᵀ V₊ m₊^(−½) (P × r); Ĥ = BBᵀ = Y M⁺ Yᵀ.
        var b = y.T.mm(v.index_select(1, kept)).div_(m.index_select(0, kept).sqrt());
        var (u, s, _) = linalg.svd(b, fullMatrices: false);
        var basis = u.contiguous().MoveToOuterDisposeScope();
        var eigenvalues = s.square().MoveToOuterDisposeScope();
        return new NystromSketch(basis, eigenvalues, p, k, warnings);
    }

    /// <summary>(Ĥ + ρI)⁻¹ v = U (Λ + ρ)⁻¹ Uᵀv + (v − UUᵀv)/ρ; the complement term is left out when U is complete (exact at full rank for any ρ).</summary>
    public Tensor Inverse(Tensor v, double rho)
    {
        using var scope = NewDisposeScope();
        var coefficients = Basis.T.mv(v);
        var x = Basis.mv(coefficients / Eigenvalues.Plus(rho));
        if (!IsComplete) x.PlusScaled_(v.sub(Basis.mv(coefficients)), 1 / rho);
        return x.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The Nyström preconditioner of Frangella, Tropp &amp; Udell for A + μI:
    /// P⁻¹r = (λ_r + μ) U (Λ + μ)⁻¹ Uᵀr + (r − UUᵀr), λ_r the smallest retained eigenvalue.
    /// </summary>
    public Tensor Precondition(Tensor r, double mu)
    {
        if (Rank == 0) return r.clone();
        using var scope = NewDisposeScope();
        var coefficients = Basis.T.mv(r);
        var scale = Eigenvalues.Plus(mu).reciprocal().Scaled(smallest + mu).Plus(-1);      // U[(λ_r+μ)/(Λ+μ) − 1]Uᵀr + r
        return r.Plus(Basis.mv(coefficients.mul_(scale))).MoveToOuterDisposeScope();
    }

    /// <summary>Takes U and Λ out of every dispose scope, for a sketch kept across solves; <see cref="Dispose"/> frees them.</summary>
    public NystromSketch Keep()
    {
        Basis.DetachFromDisposeScope();
        Eigenvalues.DetachFromDisposeScope();
        return this;
    }

    /// <summary>Writes U and Λ exactly (for checkpoints).</summary>
    public void Save(BinaryWriter writer)
    {
        writer.Write(Size);
        writer.Write(Products);
        writer.Write(Warnings.Count);
        foreach (var warning in Warnings) writer.Write(warning);
        Basis.Save(writer);
        Eigenvalues.Save(writer);
    }

    /// <summary>Reads a sketch written by <see cref="Save"/>.</summary>
    public static NystromSketch Load(BinaryReader reader)
    {
        long size = reader.ReadInt64();
        int products = reader.ReadInt32();
        var warnings = new string[reader.ReadInt32()];
        for (int i = 0; i < warnings.Length; i++) warnings[i] = reader.ReadString();
        var basis = Tensor.Load(reader).DetachFromDisposeScope();
        var eigenvalues = Tensor.Load(reader).DetachFromDisposeScope();
        return new NystromSketch(basis, eigenvalues, size, products, warnings);
    }

    /// <summary>Frees U and Λ.</summary>
    public void Dispose()
    {
        Basis.Dispose();
        Eigenvalues.Dispose();
    }
}
