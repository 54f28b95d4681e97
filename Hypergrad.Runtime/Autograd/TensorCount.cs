using System.Runtime.CompilerServices;
using System.Threading;
using static TorchSharp.torch;

namespace Hypergrad.Autograd;

/// <summary>
/// Keeps TorchSharp's live-tensor count (<c>Tensor.TotalCount</c>, the number users watch for leaks) truthful.
/// </summary>
/// <remarks>
/// <c>autograd.grad(allow_unused: true)</c> returns a wrapper with an empty handle for every unused input. TorchSharp
/// counts the wrapper when it is created but only uncounts wrappers that hold a handle, so each unused input of every
/// call (an outer variable the outer objective reaches only through w, once per outer step) would raise the count by
/// one forever although no native memory is held. Such a wrapper is forgotten here when it is dropped.
/// </remarks>
internal static class TensorCount
{
    [UnsafeAccessor(UnsafeAccessorKind.StaticField, Name = "_totalCount")]
    static extern ref long TotalCount(Tensor? tensor);

    /// <summary>Uncounts <paramref name="emptyWrapper"/>, a result without a native handle that the caller drops.</summary>
    public static void Forget(Tensor emptyWrapper)
    {
        if (!emptyWrapper.IsInvalid) return;
        Interlocked.Decrement(ref TotalCount(null));
    }
}
