using static TorchSharp.torch;

namespace Hypergrad.Autograd;

/// <summary>Reads a leaf's <c>.grad</c> without leaving wrappers behind (each read is a new native handle).</summary>
internal static class LeafGradient
{
    /// <summary>Whether <paramref name="leaf"/>.grad is defined.</summary>
    public static bool Has(Tensor leaf)
    {
        using var grad = leaf.grad;
        return grad is not null && !grad.IsInvalid;
    }

    /// <summary>Whether <paramref name="leaf"/>.grad is defined and holds a non-zero value.</summary>
    public static bool IsNonZero(Tensor leaf)
    {
        using var grad = leaf.grad;
        if (grad is null || grad.IsInvalid) return false;
        using var nonZero = grad.count_nonzero();
        return nonZero.item<long>() > 0;
    }

    /// <summary>Σ|grad| of <paramref name="leaf"/>, or null when it has none: a fingerprint that any backward pass through it changes.</summary>
    public static double? Fingerprint(Tensor leaf)
    {
        using var grad = leaf.grad;
        if (grad is null || grad.IsInvalid) return null;
        using var noGrad = no_grad();
        using var abs = grad.abs();
        using var sum = abs.sum();
        return sum.to_type(TorchSharp.torch.ScalarType.Float64).item<double>();
    }
}
