using System.Collections.Generic;
using System.Linq;

namespace Hypergrad.Benchmarks.Comparison;

/// <summary>
/// The value function F(w*(λ)) a task's table times against: <c>best + Fraction·(start − best)</c>, where start is the
/// median value at the start (all methods start from the same point per seed) and best is the lowest median (over
/// seeds) value at the end of the budget of any method. With <see cref="Fraction"/> = 0.05 the target is
/// 95 % of the way from the start to what the best method reached.
/// </summary>
/// <param name="Start">Median value function at the start.</param>
/// <param name="Best">The best method's median value function at the end of the budget.</param>
public sealed record ComparisonTarget(double Start, double Best)
{
    /// <summary>The remaining fraction of the decrease the target allows.</summary>
    public const double Fraction = 0.05;

    /// <summary>The target value function.</summary>
    public double Value => Best + Fraction * (Start - Best);

    /// <summary>The target of the runs of a task, grouped by method (diverged runs' final values count as +∞).</summary>
    public static ComparisonTarget Of(IEnumerable<IReadOnlyList<RunCurve>> runsByMethod)
    {
        var groups = runsByMethod.Where(g => g.Count > 0).ToArray();
        double start = CurveStatistics.Quantile(groups.SelectMany(g => g).Select(r => r.Points[0].ValidationLoss).ToArray(), 0.5);
        double best = groups.Min(g => CurveStatistics.Quantile(g.Select(r => r.Diverged ? double.PositiveInfinity : r.Final.ValidationLoss).ToArray(), 0.5));
        return new ComparisonTarget(start, best);
    }
}
