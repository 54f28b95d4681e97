using System;

namespace Hypergrad;

/// <summary>
/// Optional: marks a user's own inner update, one step of the inner optimization, taking the same batch as the
/// inner objective and returning nothing. <c>Run</c> calls it instead of the configured inner optimizer. For
/// iterative methods the step is differentiated through, so it must stay in the autograd graph: use the runtime's
/// differentiable optimizers (<c>Hypergrad.Optimizers</c>), never <c>torch.optim</c> or in-place updates.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class InnerStepAttribute : Attribute
{
}
