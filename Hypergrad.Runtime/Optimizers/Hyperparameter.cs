using TorchSharp;
using static TorchSharp.torch;

namespace Hypergrad.Optimizers;

/// <summary>
/// A hyperparameter of a differentiable optimizer (learning rate, momentum, weight decay): either a
/// constant or a tensor. A tensor that requires grad makes the optimizer step differentiable with
/// respect to it, so it can be an outer variable tuned by hypergradient.
/// </summary>
public readonly struct Hyperparameter
{
    /// <summary>The constant value (meaningful when <see cref="Tensor"/> is null).</summary>
    public double Constant { get; }

    /// <summary>The tensor value (a scalar or a tensor broadcastable to the parameters), or null for a constant.</summary>
    public Tensor? Tensor { get; }

    Hyperparameter(double constant, Tensor? tensor) { Constant = constant; Tensor = tensor; }

    /// <summary>A constant hyperparameter.</summary>
    public static implicit operator Hyperparameter(double constant) => new(constant, null);

    /// <summary>A tensor hyperparameter (for example an outer variable such as a learnable step size).</summary>
    public static implicit operator Hyperparameter(Tensor tensor) => new(0, tensor);

    /// <summary>True for the constant 0 only: a tensor is never treated as zero, so its gradient path is kept.</summary>
    public bool IsZero => Tensor is null && Constant == 0;

    /// <summary>This hyperparameter times <paramref name="x"/>, staying in the autograd graph of both.</summary>
    public Tensor Times(Tensor x) => Tensor is null ? x.mul(Constant) : x.mul(Tensor);

    /// <summary>The value as a double (reads a tensor's single element; for checks and display only).</summary>
    public double Value => Tensor is null ? Constant : Tensor.detach().cpu().to_type(ScalarType.Float64).item<double>();

    /// <inheritdoc/>
    public override string ToString() => Tensor is null ? Constant.ToString(System.Globalization.CultureInfo.InvariantCulture) : "tensor";
}
