using System;

namespace Hypergrad;

/// <summary>
/// Marks an inner variable w: a field or property of type <c>Module</c>, <c>Parameter</c> or <c>Tensor</c> that the
/// inner objective is minimised over. Its tensors are named after the member (<c>Model.weight</c>).
/// </summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class InnerAttribute : Attribute
{
    /// <summary>
    /// Meta-learning (MAML, iMAML): the name of an <c>[Outer]</c> member of the same kind and shapes whose values this
    /// variable is reset to before each outer step's inner steps (the meta-initialization θ, e.g.
    /// <c>InitializedFrom = nameof(MetaInit)</c>). For unrolled methods the initialization's gradient (composition
    /// <c>Operation.InitializationUnroll</c>) is added to that outer variable's <c>.grad</c>.
    /// </summary>
    public string? InitializedFrom { get; set; }
}
