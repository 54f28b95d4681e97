using System.Collections.Generic;

namespace Hypergrad.Benchmarks.Comparison;

/// <summary>One measurement of a run: where it was (time, evaluations) and how good it was.</summary>
/// <param name="Seconds">CPU time of the method so far (the harness's evaluations excluded).</param>
/// <param name="Evaluations">Gradient and Hessian-vector-product evaluations so far, in passes (<see cref="EvaluationCounter"/>).</param>
/// <param name="ValidationLoss">The outer objective on the whole validation set.</param>
/// <param name="TestAccuracy">Accuracy of the inner model on the test set (never used to choose anything).</param>
public sealed record CurvePoint(double Seconds, double Evaluations, double ValidationLoss, double TestAccuracy);

/// <summary>The curve of one run of one method on one seed.</summary>
/// <param name="Method">The method's name in the registry.</param>
/// <param name="Seed">The data seed.</param>
/// <param name="Points">Measurements in order, the first at the start (0 s, 0 evaluations).</param>
/// <param name="Divergence">Why the run stopped early (the runtime's divergence or non-finite message), or null when it ran to its budget.</param>
/// <param name="OuterSteps">Outer steps taken.</param>
/// <param name="NotConverged">Outer steps whose hypergradient did not meet its tolerance (an approximation there).</param>
/// <param name="Warnings">Distinct warnings the run's outer steps raised (numbers replaced by '#'), with how often.</param>
public sealed record RunCurve(string Method, int Seed, IReadOnlyList<CurvePoint> Points, string? Divergence, int OuterSteps, int NotConverged,
    IReadOnlyDictionary<string, int> Warnings)
{
    /// <summary>True when the run stopped on divergence or a non-finite value.</summary>
    public bool Diverged => Divergence is not null;

    /// <summary>The last measurement.</summary>
    public CurvePoint Final => Points[^1];
}
