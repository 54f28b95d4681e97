using System;

namespace Hypergrad;

/// <summary>
/// Marks an inner variable w: a field or property of type <c>Module</c>, <c>Parameter</c> or <c>Tensor</c> that the
/// inner objective is minimised over. Its tensors are named after the member (<c>Model.weight</c>).
/// </summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class InnerAttribute : Attribute
{
}
