using System;

namespace Hypergrad;

/// <summary>
/// Optional, implicit methods only: marks a user's own inner update, one step of the inner optimization, taking the
/// same batch as the inner objective and returning nothing. <c>Run</c> calls it instead of
/// <c>BilevelOptions.InnerOptimizer</c>. It is not differentiated (implicit methods only need the inner solution),
/// so it may update the variables in place, with <c>torch.optim</c> or by hand. Unrolled methods differentiate
/// through the steps of <c>BilevelOptions.InnerOptimizer</c> and refuse an [InnerStep] (HG0014).
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class InnerStepAttribute : Attribute
{
}
