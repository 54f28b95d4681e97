using System;
using Hypergrad.Autograd;
using Hypergrad.Parameters;
using TorchSharp;
using static TorchSharp.torch;

namespace Hypergrad.SingleLoop;

/// <summary>The inner objective's first (and, with a vector z, second) derivatives at one point, on one batch: flat, detached.</summary>
/// <param name="Value">g's value.</param>
/// <param name="GradW">∇_w g.</param>
/// <param name="GradLambda">∇_λ g, when asked for.</param>
/// <param name="Hz">∇²_w g · z, when a z was given.</param>
/// <param name="CrossZ">∂²_{λw} g · z (outer-sized), when a z was given.</param>
internal sealed record InnerSample(double Value, Tensor GradW, Tensor? GradLambda, Tensor? Hz, Tensor? CrossZ);

/// <summary>The outer objective's value and gradients at the current variables, on one batch: flat, detached.</summary>
internal sealed record OuterSample(double Value, Tensor GradW, Tensor GradLambda);

/// <summary>
/// The derivatives every joint method is built from, on flat vectors: one backward pass (and for z one more, a single
/// vector–Jacobian product that gives both H z and ∂²_{λw} g · z) per sample, through the guarded autograd layer.
/// </summary>
internal sealed class JointOracles
{
    private static readonly string[] WName = { "inner variables" };
    private static readonly string[] WLambdaNames = { "inner variables", "outer variables" };
    private readonly ParameterSet inner;
    private readonly ParameterSet outer;

    public JointOracles(ParameterSet inner, ParameterSet outer)
    {
        this.inner = inner;
        this.outer = outer;
    }

    /// <summary>Products of the Hessian (or mixed second derivatives) computed so far: one per sample taken with a z.</summary>
    public int HessianVectorProducts { get; private set; }

    /// <summary>Gradients evaluated so far (inner and outer samples).</summary>
    public int GradientEvaluations { get; private set; }

    /// <summary>
    /// g on <paramref name="objective"/>'s batch at inner values <paramref name="at"/> (null: the current inner variables) and
    /// the current λ: its gradient, ∇_λ g when <paramref name="lambdaGradient"/>, and with <paramref name="z"/> the products H z
    /// and ∂²_{λw} g · z (one double-backward call).
    /// </summary>
    public InnerSample Inner(Func<Tensor> objective, Tensor? at = null, Tensor? z = null, bool lambdaGradient = false)
    {
        GradientEvaluations++;
        var w = (at ?? inner.Flat).detach().requires_grad_(true);
        var lambda = outer.CreateLeaf();
        Tensor loss;
        using (inner.Substitute(w))
        using (outer.Substitute(lambda))
            loss = objective();
        bool second = z is not null;
        bool withLambda = second || lambdaGradient;
        var inputs = withLambda ? new[] { w, lambda } : new[] { w };
        var depends = new bool[inputs.Length];
        var grads = Gradients.Of(loss, "inner objective", inputs, withLambda ? WLambdaNames : WName, createGraph: second,
            unused: UnusedInput.Zero, dependsOn: depends);
        if (!depends[0])
            throw new HypergradException(
                "The inner objective does not depend on the inner variables, so there is nothing for the inner steps to minimize; use the [Inner] members in it.");
        Tensor? hz = null, cross = null;
        if (second)
        {
            HessianVectorProducts++;
            var products = Gradients.VectorJacobianProduct(new[] { grads[0] }, "gradient of the inner objective", new[] { z! }, inputs, WLambdaNames);
            hz = products[0].detach();
            cross = products[1].detach();
        }
        return new InnerSample(loss.detach().ToDouble(), grads[0].detach(), lambdaGradient ? grads[1].detach() : null, hz, cross);
    }

    /// <summary>F on <paramref name="objective"/>'s batch at inner values <paramref name="at"/> (null: the current inner variables): value, ∇_w F and ∇_λ F.</summary>
    public OuterSample Outer(Func<Tensor> objective, Tensor? at = null)
    {
        GradientEvaluations++;
        var w = (at ?? inner.Flat).detach().requires_grad_(true);
        var lambda = outer.CreateLeaf();
        Tensor loss;
        using (inner.Substitute(w))
        using (outer.Substitute(lambda))
            loss = objective();
        var grads = Gradients.Of(loss, "outer objective", new[] { w, lambda }, WLambdaNames, unused: UnusedInput.Zero);
        return new OuterSample(loss.detach().ToDouble(), grads[0].detach(), grads[1].detach());
    }
}
