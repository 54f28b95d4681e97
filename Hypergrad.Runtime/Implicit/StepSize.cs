using System;
using TorchSharp;
using static TorchSharp.torch;

namespace Hypergrad.Implicit;

/// <summary>
/// The automatic step α of <see cref="Neumann"/>, <see cref="FixedPoint"/> (on an inner objective) and
/// <see cref="OptimizerSolve"/> when none is given: λ_max of A + ρI is estimated by power iteration
/// (Rayleigh quotients, at most <see cref="MaxIterations"/> products, counted in the certificate) and α = 1/λ̂.
/// </summary>
/// <remarks>
/// Why 1/λ̂ is safe: the power iteration's Rayleigh quotient never exceeds λ_max and approaches it from below,
/// so α·λ_max = λ_max/λ̂ ≥ 1; Richardson/Neumann converges while α·λ_max &lt; 2, i.e. while λ̂ &gt; λ_max/2, which a
/// handful of iterations from a random start reach unless the start is nearly orthogonal to the top
/// eigenvector. The estimate stops early when two successive quotients agree to 1e-3.
/// </remarks>
internal static class StepSize
{
    /// <summary>Most power iterations.</summary>
    public const int MaxIterations = 10;

    /// <summary>α = 1/λ̂_max(A + ρI) with λ̂ from power iteration; throws a clear error when A + ρI has no positive curvature.</summary>
    public static double Estimate(ImplicitSolver solver, LinearSystem system, Tensor like)
    {
        using var scope = NewDisposeScope();
        // A fixed seed: the same system gives the same α (reproducible runs).
        var x = randn(like.shape, dtype: like.dtype, generator: new Generator(0x5EED)).to(like.device);
        x.div_(x.norm());
        double estimate = double.NaN;
        for (int i = 0; i < MaxIterations; i++)
        {
            var ax = system.Apply(x, solver.Rho);
            double quotient = x.dot(ax).ToDouble();
            solver.ThrowIfNotFinite(quotient, "power-iteration estimate of λ_max (for the automatic step α)", i);
            double norm = ax.norm().ToDouble();
            bool settled = Math.Abs(quotient - estimate) <= 1e-3 * Math.Abs(quotient);
            estimate = quotient;
            if (settled || norm == 0) break;
            x = ax.DivideBy_(norm);
        }
        if (!(estimate > 0))
            throw new HypergradException(
                $"{solver.Method}: the automatic step α needs a positive largest eigenvalue of H + ρI, but power iteration found {estimate:G3} " +
                "(the inner variables are not at a minimum, or H is zero). Set Alpha explicitly, add Rho (Rho), or train the inner problem longer.");
        return 1 / estimate;
    }
}
