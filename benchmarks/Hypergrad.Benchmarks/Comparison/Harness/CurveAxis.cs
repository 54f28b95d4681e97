using System;

namespace Hypergrad.Benchmarks.Comparison;

/// <summary>The two x-axes the comparison draws and times against.</summary>
public enum CurveAxis
{
    /// <summary>CPU time of the method (<see cref="CpuClock"/>).</summary>
    Seconds,

    /// <summary>Gradient and Hessian-vector-product evaluations, in passes over the data (<see cref="EvaluationCounter"/>).</summary>
    Evaluations,
}

/// <summary>Reading an axis off a point.</summary>
public static class CurveAxes
{
    /// <summary>The point's coordinate on <paramref name="axis"/>.</summary>
    public static double Of(this CurveAxis axis, CurvePoint point) => axis switch
    {
        CurveAxis.Seconds => point.Seconds,
        CurveAxis.Evaluations => point.Evaluations,
        _ => throw new ArgumentOutOfRangeException(nameof(axis)),
    };
}
