using static TorchSharp.torch;

namespace Hypergrad.Parameters;

/// <summary>A tensor with its stable name, e.g. <c>("Model.weight", w)</c> or <c>("LogDecay", λ)</c>.</summary>
/// <param name="Name">The name used in results and error messages.</param>
/// <param name="Tensor">The tensor.</param>
public readonly record struct NamedTensor(string Name, Tensor Tensor);
