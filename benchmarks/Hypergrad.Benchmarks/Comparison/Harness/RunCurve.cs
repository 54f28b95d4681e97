using System.Collections.Generic;

namespace Hypergrad.Benchmarks.Comparison;

/// <summary>One measurement of a run: where it was (time, evaluations) and how good it was.</summary>
/// <param name="Seconds">CPU time of the method so far (the harness's evaluations excluded).</param>
/// <param name="Evaluations">Gradient and Hessian-vector-product evaluations so far, in passes (<see cref="EvaluationCounter"/>).</param>
/// <param name="ValidationLoss">The value function F(w*(λ), λ): the outer objective on the whole validation set at the inner
/// problem solved again at the run's current λ (<see cref="InnerSolution"/>), the quantity every method minimises.</param>
/// <param name="TestAccuracy">Test accuracy of that w*(λ) (never used to choose anything).</param>
/// <param name="IterateValidationLoss">The outer objective at the method's own inner iterate w.</param>
/// <param name="IterateTestAccuracy">Test accuracy of the method's w: the model a user of the method would keep.</param>
public sealed record CurvePoint(double Seconds, double Evaluations, double ValidationLoss, double TestAccuracy,
    double IterateValidationLoss = double.NaN, double IterateTestAccuracy = double.NaN);

/// <summary>What the recorder's evaluation returns: <see cref="CurvePoint"/> without the time and evaluations.</summary>
public sealed record Measurement(double ValidationLoss, double TestAccuracy, double IterateValidationLoss = double.NaN, double IterateTestAccuracy = double.NaN);

/// <summary>The curve of one run of one method on one seed.</summary>
/// <param name="Method">The method's name in the registry.</param>
/// <param name="Seed">The data seed.</param>
/// <param name="Points">Measurements in order, the first at the start (0 s, 0 evaluations).</param>
/// <param name="Divergence">Why the run stopped early (the runtime's divergence or non-finite message), or null when it ran to its budget.</param>
/// <param name="OuterSteps">Outer steps taken.</param>
/// <param name="NotConverged">Outer steps whose hypergradient did not meet its tolerance (an approximation there).</param>
/// <param name="Warnings">Distinct warnings the run's outer steps raised (numbers replaced by '#'), with how often.</param>
/// <param name="InnerGradient">The largest gradient entry left by any of the run's re-solves of w*(λ) (NaN when not recorded).</param>
public sealed record RunCurve(string Method, int Seed, IReadOnlyList<CurvePoint> Points, string? Divergence, int OuterSteps, int NotConverged,
    IReadOnlyDictionary<string, int> Warnings, double InnerGradient = double.NaN)
{
    /// <summary>True when the run stopped on divergence or a non-finite value.</summary>
    public bool Diverged => Divergence is not null;

    /// <summary>The last measurement.</summary>
    public CurvePoint Final => Points[^1];
}
