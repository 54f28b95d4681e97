using System.Runtime.CompilerServices;

namespace Hypergrad.Samples.Tests;

static class SingleThreadedTorch
{
    // As in the samples' Program.cs: the tensors are small, and one intra-op thread is several times faster
    // than two that spin on a busy 2-core machine. Process-wide, set once before any test runs.
    [ModuleInitializer]
    internal static void Initialize() => TorchSharp.torch.set_num_threads(1);
}
