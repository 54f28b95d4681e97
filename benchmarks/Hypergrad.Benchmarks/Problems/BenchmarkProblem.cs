using Hypergrad.Parameters;
using static TorchSharp.torch;

namespace Hypergrad.Benchmarks.Problems;

/// <summary>
/// A bilevel problem the benchmarks time: inner variables w, outer variables λ (a single member called "LogDecay"),
/// g and F as closures over their data, with the inner problem solved (close to a minimum) before anything is measured.
/// </summary>
abstract class BenchmarkProblem
{
    public abstract string Description { get; }
    public abstract ParameterSet Inner { get; }
    public abstract ParameterSet Outer { get; }
    public abstract Tensor TrainLoss();
    public abstract Tensor ValidationLoss();
}
