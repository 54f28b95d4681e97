using System;

namespace Hypergrad;

/// <summary>
/// Marks an outer variable λ: a field or property of type <c>Module</c>, <c>Parameter</c> or <c>Tensor</c> whose
/// hypergradient is computed and which the outer optimizer updates. At least one objective must use it.
/// </summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class OuterAttribute : Attribute
{
}
