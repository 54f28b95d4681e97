using System;
using Hypergrad.Autograd;
using static TorchSharp.torch;

namespace Hypergrad.Implicit;

/// <summary>Ready-made fixed-point maps Φ for <see cref="ImplicitHypergradient.ComputeWithFixedPointMap"/>.</summary>
public static class FixedPointMap
{
    /// <summary>
    /// One gradient step Φ(w) = w − η ∇_w g(w, λ). Its fixed point is a stationary point of g, J = I − ηH,
    /// and (I − Jᵀ) x = v is η H x = v.
    /// </summary>
    /// <param name="innerObjective">g, a closure over the variables (evaluated with them substituted).</param>
    /// <param name="stepSize">η &gt; 0.</param>
    public static Func<Tensor, Tensor> GradientStep(Func<Tensor> innerObjective, double stepSize)
    {
        ArgumentNullException.ThrowIfNull(innerObjective);
        if (!(stepSize > 0)) throw new HypergradException($"GradientStep needs a step size > 0 (got {stepSize}).");
        return w => w - Gradients.Of(innerObjective(), "inner objective", new[] { w }, new[] { "inner variables" }, createGraph: true)[0].Scaled(stepSize);
    }
}
