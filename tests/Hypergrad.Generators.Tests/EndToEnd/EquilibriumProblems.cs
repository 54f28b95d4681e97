using Hypergrad;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn.functional;

namespace Hypergrad.Generators.Tests.EndToEnd;

// Equilibrium problems written as a user writes them: z* = tanh(W z* + U x), logits = H z*, in float64.

/// <summary>A tiny deep equilibrium model; W = 0.5·tanh(V)/4 keeps the map a contraction (‖W‖₂ ≤ 0.5).</summary>
[Hypergradient(Method.FixedPoint, Iterations = 300, Tolerance = 1e-14, EquilibriumIterations = 500, EquilibriumTolerance = 1e-15)]
public partial class TinyEquilibrium
{
    public const int Rows = 6, Features = 3, Hidden = 4, Classes = 2;

    public TinyEquilibrium(int seed)
    {
        var generator = new torch.Generator((ulong)seed);
        Recurrent = new Parameter(randn(Hidden, Hidden, dtype: float64, generator: generator));
        Injection = new Parameter(randn(Hidden, Features, dtype: float64, generator: generator));
        Head = new Parameter(randn(Classes, Hidden, dtype: float64, generator: generator));
        State = zeros(Rows, Hidden, dtype: float64);
    }

    [Inner] public Tensor State { get; }
    [Outer] public Parameter Recurrent { get; }
    [Outer] public Parameter Injection { get; }
    [Outer] public Parameter Head { get; }

    /// <summary>W with spectral norm at most 0.5 (each |entry| &lt; 1/8 in a 4×4 matrix).</summary>
    public Tensor Weight() => 0.5 * tanh(Recurrent) / Hidden;

    [FixedPointMap]
    public Tensor Layer(Tensor z, Tensor x, Tensor y) => tanh(z.matmul(Weight().t()) + x.matmul(Injection.t()));

    [OuterObjective]
    public Tensor Loss(Tensor x, Tensor y) => cross_entropy(State.matmul(Head.t()), y);
}

/// <summary>The same model with the map built once per batch (the injection does not change while z iterates), by ConjugateGradientNormal.</summary>
[Hypergradient(Method.ConjugateGradientNormal, Iterations = 300, Tolerance = 1e-14, EquilibriumIterations = 500, EquilibriumTolerance = 1e-15, EquilibriumWarmStart = true)]
public partial class TinyEquilibriumPerBatch
{
    public TinyEquilibriumPerBatch(int seed)
    {
        var generator = new torch.Generator((ulong)seed);
        Recurrent = new Parameter(randn(TinyEquilibrium.Hidden, TinyEquilibrium.Hidden, dtype: float64, generator: generator));
        Injection = new Parameter(randn(TinyEquilibrium.Hidden, TinyEquilibrium.Features, dtype: float64, generator: generator));
        Head = new Parameter(randn(TinyEquilibrium.Classes, TinyEquilibrium.Hidden, dtype: float64, generator: generator));
        State = zeros(TinyEquilibrium.Rows, TinyEquilibrium.Hidden, dtype: float64);
    }

    [Inner] public Tensor State { get; }
    [Outer] public Parameter Recurrent { get; }
    [Outer] public Parameter Injection { get; }
    [Outer] public Parameter Head { get; }

    [FixedPointMap]
    public Func<Tensor, Tensor> Layer(Tensor x, Tensor y)
    {
        var weight = 0.5 * tanh(Recurrent) / TinyEquilibrium.Hidden;
        var injected = x.matmul(Injection.t());
        return z => tanh(z.matmul(weight.t()) + injected);
    }

    [OuterObjective]
    public Tensor Loss(Tensor x, Tensor y) => cross_entropy(State.matmul(Head.t()), y);
}
