using System;

namespace Hypergrad;

/// <summary>
/// Marks an outer variable λ: a field or property of type <c>Module</c>, <c>Parameter</c> or <c>Tensor</c> whose
/// hypergradient is computed and which the outer optimizer updates. At least one objective must use it.
/// </summary>
/// <remarks>
/// <see cref="Min"/> and <see cref="Max"/> bound its values: after every outer step, <c>Run</c> clamps them into
/// [Min, Max] (a projection, whichever optimizer took the step), e.g. <c>[Outer(Min = -10, Max = 0.5)]</c> keeps a
/// log-decay where the inner step stays stable. Unset bounds are infinite (no bound).
/// </remarks>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class OuterAttribute : Attribute
{
    /// <summary>The smallest value the outer step leaves in the variable. Default: no bound.</summary>
    public double Min { get; set; } = double.NegativeInfinity;

    /// <summary>The largest value the outer step leaves in the variable. Default: no bound.</summary>
    public double Max { get; set; } = double.PositiveInfinity;
}
