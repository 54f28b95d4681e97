using System;

namespace Hypergrad;

/// <summary>
/// Marks the outer objective F(w, λ): a method returning a scalar <c>Tensor</c>, whose parameters are the batch it
/// consumes. It is evaluated at the inner variables' current values.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class OuterObjectiveAttribute : Attribute
{
}
