using System;

namespace Hypergrad.Solving;

/// <summary>
/// The loss test both training loops (<see cref="BilevelSolver"/>, <see cref="FixedPointSolver"/>) stop a diverging run
/// with: a loss that is NaN or ±Inf, or moves away from its reference by more than
/// <see cref="BilevelOptions.DivergenceFactor"/> times the larger of the reference's magnitude and the run's first loss.
/// Scaling by the first loss too keeps a reference near zero from turning ordinary noise into a "divergence".
/// </summary>
internal sealed class DivergenceCheck
{
    private readonly double factor;

    /// <param name="factor">The validated <see cref="BilevelOptions.DivergenceFactor"/>.</param>
    public DivergenceCheck(double factor) => this.factor = factor;

    /// <summary>True when <paramref name="loss"/> is not finite or exceeds <paramref name="reference"/> by more than the factor times the scale.</summary>
    /// <param name="loss">The loss just computed.</param>
    /// <param name="reference">The loss it is compared with (NaN: none yet, only non-finiteness counts).</param>
    /// <param name="first">The run's first loss of the same objective (NaN: not known yet).</param>
    public bool Diverged(double loss, double reference, double first)
    {
        if (!double.IsFinite(loss)) return true;
        if (double.IsNaN(reference)) return false;
        double scale = Math.Max(Math.Abs(reference), double.IsNaN(first) ? 0 : Math.Abs(first));
        return scale > 0 && Math.Abs(loss - reference) > factor * scale;
    }

    /// <summary>The sentence every divergence message ends with: what stopped the run and how to allow more.</summary>
    public string Note =>
        $"(A loss that is NaN or ±Inf, or moves away from its reference by more than BilevelOptions.DivergenceFactor = {factor:G3} times the larger " +
        "of its magnitude and the run's first loss, stops the run; raise that factor if such a change is expected.) The checkpoint, if any, keeps the last saved state.";
}
