using TorchSharp;
using static TorchSharp.torch;

namespace Hypergrad.Implicit;

/// <summary>
/// Materialises A (P products with unit vectors, one per inner value) and solves (A + ρI) x = v
/// with a dense LU solve: the reference for the other methods and a debugging aid, for small inner
/// sets only (P ≤ <see cref="MaxSize"/>). The residual is computed with the dense matrix.
/// </summary>
public sealed class Exact : ImplicitSolver
{
    /// <inheritdoc/>
    public override Method Method => Method.Exact;

    /// <summary>Largest inner set (number of values) materialised. Default 10,000.</summary>
    public long MaxSize { get; init; } = 10_000;

    /// <inheritdoc/>
    public override LinearSolution Solve(LinearSystem system, Tensor v, Tensor? initial)
    {
        long n = system.Size;
        if (n > MaxSize)
            throw new HypergradException(
                $"Exact would materialise a {n}×{n} matrix ({n} Hessian-vector products), above MaxSize = {MaxSize}. Use ConjugateGradient, or raise MaxSize if you really mean it.");
        var identity = eye(n, dtype: v.dtype, device: v.device);
        var columns = new Tensor[n];
        for (long i = 0; i < n; i++)
        {
            using var unit = identity[i];
            columns[i] = system.Apply(unit);
        }
        var a = stack(columns, 1).PlusScaled_(identity, Rho);      // column i = A eᵢ
        var x = linalg.solve(a, v);
        double residual = (a.mv(x) - v).norm().ToDouble() / v.norm().ToDouble();
        ThrowIfNotFinite(residual, "residual", 1);
        return new LinearSolution(x, 1, residual, residual <= Tolerance,
            residual <= Tolerance ? null : $"Exact: the dense solve left a relative residual of {residual:G3}; A + ρI is (nearly) singular: add Rho.");
    }
}
