using System;

namespace Hypergrad;

/// <summary>
/// Marks the inner objective g(w, λ): a method returning a scalar <c>Tensor</c>, whose parameters are the batch it
/// consumes (a method taking <c>(Tensor x, Tensor y)</c> is fed <c>(Tensor, Tensor)</c> tuples by <c>Run</c>).
/// It must stay differentiable in the inner and outer variables: no <c>.detach()</c>, <c>no_grad</c> or in-place
/// <c>*_</c> methods on them.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class InnerObjectiveAttribute : Attribute
{
}
