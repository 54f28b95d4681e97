using System;
using Hypergrad.Autograd;
using TorchSharp;
using static TorchSharp.torch;

namespace Hypergrad.Implicit;

/// <summary>
/// The linear system A x = v of an implicit hypergradient, applied matrix-free on flat vectors.
/// From an inner objective g, A = H = ∇²_w g (one Hessian-vector product per application); from a
/// fixed-point map Φ, A = I − Jᵀ with J = ∂Φ/∂w (one vector–Jacobian product per application).
/// Every application costs one autograd call and a constant number of tensor operations, whatever
/// the number of parameter tensors.
/// </summary>
/// <remarks>
/// The unknowns are differentiated either as one flat leaf (a fixed-point map takes the flat iterate) or as one leaf per
/// inner variable (an inner objective): then ∇_w g is the concatenation of the per-variable gradients, so the flat
/// cotangent x is split inside the backward pass and a product is one autograd call plus one concatenation (one result
/// tensor per variable from autograd, no other per-variable work).
/// </remarks>
public sealed class LinearSystem : IDisposable
{
    static readonly string[] InnerName = { "inner variables" };
    readonly Tensor[] innerLeaves;
    readonly Func<Tensor> evaluate;
    Tensor output;
    bool outputIsConstant;
    Tensor? dual, transposedOutput;

    /// <param name="innerLeaves">The 1-D inner leaves the output was computed from: the flat inner leaf w, or one leaf per inner variable (in set order).</param>
    /// <param name="evaluate">Computes the flat output at w: ∇_w g (with a graph) or Φ(w), checked by <see cref="Gradients"/>. Called again by <see cref="Resample"/>.</param>
    /// <param name="isFixedPointMap">True when the output is Φ(w), false when it is ∇_w g.</param>
    internal LinearSystem(Tensor[] innerLeaves, Func<Tensor> evaluate, bool isFixedPointMap)
    {
        this.innerLeaves = innerLeaves;
        this.evaluate = evaluate;
        IsFixedPointMap = isFixedPointMap;
        output = Own(evaluate());
        outputIsConstant = !output.requires_grad;
        long size = 0;
        foreach (var leaf in innerLeaves) size += leaf.numel();
        Size = size;
    }

    /// <summary>True for A = I − Jᵀ (fixed-point map), false for A = H (inner objective, symmetric).</summary>
    public bool IsFixedPointMap { get; }

    /// <summary>Number of unknowns (the inner set's size).</summary>
    public long Size { get; }

    /// <summary>Matrix-free products used so far (Hessian- or Jacobian-vector products).</summary>
    public int Products { get; private set; }

    /// <summary>∇_w g or Φ(w) at the current sample, differentiable with respect to the inner and outer variables.</summary>
    internal Tensor Output => output;

    string What => IsFixedPointMap ? "fixed-point map" : "gradient of the inner objective";

    /// <summary>(A + damping·I) x: one product.</summary>
    public Tensor Apply(Tensor x, double damping = 0)
    {
        if (x is null || x.IsInvalid || x.dim() != 1 || x.numel() != Size)
            throw new HypergradException($"LinearSystem.Apply needs a live flat vector of {Size} values (laid out like the inner variables).");
        Products++;
        var product = Product(x);
        if (IsFixedPointMap) product.neg_().Plus_(x);          // (I − Jᵀ) x
        if (damping != 0) product.PlusScaled_(x, damping);
        return product;
    }

    // (∂output/∂w)ᵀ x as one flat vector. An output that does not depend on w (g linear in w, a map constant in w) has
    // no graph to differentiate: its product is zero (autograd.grad would abort on it).
    Tensor Product(Tensor x)
    {
        if (outputIsConstant) return zeros_like(x);
        var parts = Gradients.CheckedProduct(output, x, innerLeaves);
        return parts.Length == 1 ? parts[0] : cat(parts, 0);
    }

    /// <summary>(A + damping·I)ᵀ y: one product. Equals <see cref="Apply"/> for an inner objective (H is symmetric).</summary>
    public Tensor ApplyTransposed(Tensor y, double damping = 0)
    {
        if (!IsFixedPointMap) return Apply(y, damping);
        // J y without forward mode: u ↦ Jᵀu is linear in u, so J y is the VJP of Jᵀd with respect to a dummy d.
        if (transposedOutput is null)
        {
            dual = Own(ones_like(output).requires_grad_(true));
            transposedOutput = Own(Gradients.VectorJacobianProduct(new[] { output }, What, new[] { dual }, innerLeaves, InnerName, createGraph: true)[0]);
        }
        Products++;
        var product = Gradients.VectorJacobianProduct(new[] { transposedOutput }, What, new[] { y }, new[] { dual! }, new[] { "dual vector" })[0];
        product.neg_().Plus_(y);                                 // (I − J) y
        if (damping != 0) product.PlusScaled_(y, damping);
        return product;
    }

    /// <summary>‖(A + damping·I) x − v‖ / ‖v‖: one product.</summary>
    public double RelativeResidual(Tensor x, Tensor v, double damping = 0)
    {
        using var scope = NewDisposeScope();
        return Apply(x, damping).sub_(v).norm().ToDouble() / v.norm().ToDouble();
    }

    /// <summary>
    /// Evaluates the inner objective (or map) again: with an objective that draws a new batch on every
    /// call, later products use the new sample (stochastic solves).
    /// </summary>
    public void Resample()
    {
        var next = Own(evaluate());
        output.Dispose();
        transposedOutput?.Dispose();
        dual?.Dispose();
        (output, transposedOutput, dual) = (next, null, null);
        outputIsConstant = !output.requires_grad;
    }

    /// <summary>Releases the graph this system holds.</summary>
    public void Dispose()
    {
        output.Dispose();
        transposedOutput?.Dispose();
        dual?.Dispose();
    }

    // The system outlives the per-iteration dispose scopes of the solvers that resample it.
    static Tensor Own(Tensor t) => t.DetachFromDisposeScope();
}
