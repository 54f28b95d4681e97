using System.Text.RegularExpressions;
using Hypergrad;

namespace FewShotSinusoid;

/// <summary>
/// The certificates of a meta-training run's per-task meta-gradients, summed up: how many meta-steps had every
/// task's solve meet its tolerance, the residuals, the CG stops on negative curvature, and every warning by kind.
/// </summary>
public sealed partial class SolverStatistics
{
    readonly List<double> residuals = new();
    readonly List<int> iterations = new();
    readonly List<double> stationarity = new();
    readonly Dictionary<string, (int Count, string First)> warnings = new();
    bool stepConverged = true;

    /// <summary>Meta-steps so far.</summary>
    public int MetaSteps { get; private set; }
    /// <summary>Meta-steps whose tasks' solves all met their tolerance (<see cref="HypergradientResult.Converged"/>).</summary>
    public int MetaStepsConverged { get; private set; }
    /// <summary>Per-task meta-gradients computed.</summary>
    public int Tasks => iterations.Count;
    /// <summary>Per-task meta-gradients whose certificate says converged.</summary>
    public int TasksConverged { get; private set; }
    /// <summary>Conjugate-gradient solves stopped by pᵀAp ≤ 0 (the system was not positive definite there).</summary>
    public int NegativeCurvature { get; private set; }
    /// <summary>The final relative residuals of the linear solves (empty for unrolled meta-gradients, which solve none).</summary>
    public IReadOnlyList<double> Residuals => residuals;
    /// <summary>Iterations (CG) or differentiated steps (unrolled) per task.</summary>
    public IReadOnlyList<int> Iterations => iterations;
    /// <summary>Each kind of warning (its text with the numbers replaced by #) with its count and first message.</summary>
    public IReadOnlyDictionary<string, (int Count, string First)> Warnings => warnings;

    /// <summary>The adaptations' final ‖∇g(w)‖/‖∇g(θ)‖, where the sample measured it (iMAML's in-place steps).</summary>
    public IReadOnlyList<double> Stationarity => stationarity;

    /// <summary>Records how far from stationary one task's adaptation ended.</summary>
    public void AddStationarity(double relativeGradientNorm) => stationarity.Add(relativeGradientNorm);

    /// <summary>Adds one task's certificate.</summary>
    public void Add(HypergradientResult result)
    {
        iterations.Add(result.Iterations);
        if (!double.IsNaN(result.RelativeResidual)) residuals.Add(result.RelativeResidual);
        if (result.Converged) TasksConverged++;
        else stepConverged = false;
        foreach (var warning in result.Warnings)
        {
            if (warning.Contains("not positive definite", StringComparison.Ordinal)) NegativeCurvature++;
            var kind = Number().Replace(warning, "#");
            warnings[kind] = warnings.TryGetValue(kind, out var seen) ? (seen.Count + 1, seen.First) : (1, warning);
        }
    }

    /// <summary>Closes a meta-step (after its tasks' <see cref="Add"/>).</summary>
    public void EndMetaStep()
    {
        MetaSteps++;
        if (stepConverged) MetaStepsConverged++;
        stepConverged = true;
    }

    /// <summary>The residual below which a fraction <paramref name="q"/> of the solves ended.</summary>
    public double ResidualQuantile(double q) => Quantile(residuals, q);

    static double Quantile(IReadOnlyList<double> values, double q)
    {
        if (values.Count == 0) return double.NaN;
        var sorted = values.Order().ToArray();
        return sorted[Math.Min(sorted.Length - 1, (int)Math.Floor(q * sorted.Length))];
    }

    /// <summary>One line for the console and README.</summary>
    public string Summary(double tolerance) =>
        Residuals.Count == 0
            ? $"{Tasks} unrolled meta-gradients ({Iterations.Average():F0} steps each), {TasksConverged} with a stationary final iterate"
            : $"{MetaStepsConverged} of {MetaSteps} meta-steps had every CG solve meet {tolerance:0e0}; {TasksConverged} of {Tasks} solves converged " +
              $"(iterations mean {Iterations.Average():F1}, max {Iterations.Max()}); relative residual median {ResidualQuantile(0.5):E1}, " +
              $"90th percentile {ResidualQuantile(0.9):E1}, max {Residuals.Max():E1}; {NegativeCurvature} stopped on negative curvature" +
              (stationarity.Count == 0 ? "" : $"; adaptation ended at ‖∇g‖/‖∇g(θ)‖ median {Quantile(stationarity, 0.5):F3}, 90th percentile {Quantile(stationarity, 0.9):F3}");

    [GeneratedRegex(@"[-+]?\d+(\.\d+)?([eE][-+]?\d+)?")]
    private static partial Regex Number();
}
