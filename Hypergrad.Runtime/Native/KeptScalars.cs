using TorchSharp;
using static TorchSharp.torch;

namespace Hypergrad;

/// <summary>
/// Tensor operations that take a C# number, with the number's TorchSharp <see cref="Scalar"/> kept alive until
/// libtorch has read it.
/// </summary>
/// <remarks>
/// Rule for all runtime code: never pass a C# number where TorchSharp takes a <see cref="Scalar"/> (an alpha, a factor,
/// a clamp bound, a fill value, <c>tensor * 2.0</c>). The implicit conversion creates a temporary Scalar that owns a
/// native handle only its finalizer frees; once TorchSharp has read the handle the temporary is unreachable, so the
/// GC may free it while libtorch still reads it. Under GC pressure that is a native error ("Expected false to be
/// true" in Scalar.toFloat) or a wrong value. Use these helpers, or <c>using var s = value.ToScalar();</c> at the call.
/// TorchSharp's tensor + tensor (<c>+</c>, <c>add(t)</c>, <c>add_(t)</c>) converts a temporary 1 itself: use Plus/Plus_.
/// tests/Hypergrad.Runtime.Tests/Native/KeptScalarRuleTests.cs enforces the rule.
/// </remarks>
static class KeptScalars
{
    /// <summary>1, kept for the process's lifetime: TorchSharp's <c>add_(Tensor)</c> itself converts a temporary 1.</summary>
    static readonly Scalar One = 1.ToScalar();

    /// <summary>x += y, in place.</summary>
    public static Tensor Plus_(this Tensor x, Tensor y) => x.add_(y, One);

    /// <summary>x + y.</summary>
    public static Tensor Plus(this Tensor x, Tensor y) => x.add(y, One);

    /// <summary>x += alpha·y, in place.</summary>
    public static Tensor PlusScaled_(this Tensor x, Tensor y, double alpha)
    {
        using var a = alpha.ToScalar();
        return x.add_(y, a);
    }

    /// <summary>x + alpha·y.</summary>
    public static Tensor PlusScaled(this Tensor x, Tensor y, double alpha)
    {
        using var a = alpha.ToScalar();
        return x.add(y, a);
    }

    /// <summary>x + c for a number c.</summary>
    public static Tensor Plus(this Tensor x, double c)
    {
        using var s = c.ToScalar();
        return x.add(s);
    }

    /// <summary>x *= c, in place.</summary>
    public static Tensor Scale_(this Tensor x, double c)
    {
        using var s = c.ToScalar();
        return x.mul_(s);
    }

    /// <summary>c·x.</summary>
    public static Tensor Scaled(this Tensor x, double c)
    {
        using var s = c.ToScalar();
        return x.mul(s);
    }

    /// <summary>x / c.</summary>
    public static Tensor DividedBy(this Tensor x, double c)
    {
        using var s = c.ToScalar();
        return x.div(s);
    }

    /// <summary>x /= c, in place.</summary>
    public static Tensor DivideBy_(this Tensor x, double c)
    {
        using var s = c.ToScalar();
        return x.div_(s);
    }

    /// <summary>Sets every element of x to c, in place.</summary>
    public static Tensor Fill_(this Tensor x, double c)
    {
        using var s = c.ToScalar();
        return x.fill_(s);
    }

    /// <summary>A tensor shaped like <paramref name="like"/> with every element c.</summary>
    public static Tensor FullLike(Tensor like, double c)
    {
        using var s = c.ToScalar();
        return full_like(like, s);
    }

    /// <summary>Clamps x into [min, max] in place; an infinite bound is no bound.</summary>
    public static Tensor ClampTo_(this Tensor x, double min, double max)
    {
        using var low = min.ToScalar();
        using var high = max.ToScalar();
        if (double.IsFinite(min) && double.IsFinite(max)) return x.clamp_(low, high);
        if (double.IsFinite(min)) return x.clamp_min_(low);
        if (double.IsFinite(max)) return x.clamp_max_(high);
        return x;
    }
}
