using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn.functional;

namespace FewShotSinusoid;

/// <summary>
/// MAML's sinusoid regressor, 1 → 40 → 40 → 1 with ReLU, written as a function of ONE flat parameter
/// vector. Meta-learning then needs no module tricks: the network is evaluated at θ + Δ, the
/// meta-initialization θ plus a task's adaptation Δ.
/// </summary>
public sealed class SinusoidNetwork(int hidden = 40)
{
    /// <summary>Number of parameters: W₁, b₁, W₂, b₂, W₃, b₃.</summary>
    public long ParameterCount => hidden + hidden + hidden * hidden + hidden + hidden + 1;

    /// <summary>The network's output [N, 1] for inputs [N, 1] at the flat parameters <paramref name="parameters"/>.</summary>
    public Tensor Forward(Tensor parameters, Tensor x)
    {
        long offset = 0;
        Tensor Take(params long[] shape)
        {
            long count = shape.Aggregate(1L, (a, b) => a * b);
            var view = parameters.narrow(0, offset, count).view(shape);
            offset += count;
            return view;
        }
        var (w1, b1) = (Take(hidden, 1), Take(hidden));
        var (w2, b2) = (Take(hidden, hidden), Take(hidden));
        var (w3, b3) = (Take(1, hidden), Take(1));
        var h = relu(linear(x, w1, b1));
        h = relu(linear(h, w2, b2));
        return linear(h, w3, b3);
    }

    /// <summary>Mean squared error of the network at <paramref name="parameters"/> on (x, y).</summary>
    public Tensor Loss(Tensor parameters, Tensor x, Tensor y) => mse_loss(Forward(parameters, x), y);

    /// <summary>Random parameters as TorchSharp initialises Linear layers: U(−1/√fan_in, 1/√fan_in).</summary>
    public Tensor Initialize(int seed)
    {
        var generator = new Generator((ulong)seed);
        Tensor Uniform(long count, long fanIn) => (rand(count, generator: generator) * 2 - 1) / Math.Sqrt(fanIn);
        return cat(new[]
        {
            Uniform(hidden, 1), Uniform(hidden, 1),
            Uniform(hidden * hidden, hidden), Uniform(hidden, hidden),
            Uniform(hidden, hidden), Uniform(1, hidden),
        });
    }
}
