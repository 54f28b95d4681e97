using TorchSharp;
using static TorchSharp.torch;

namespace FewShotSinusoid;

/// <summary>One regression task: a few labelled points to adapt on and others to evaluate the adapted model.</summary>
/// <param name="SupportX">Inputs to adapt on: float32 [K, 1].</param>
/// <param name="SupportY">Their targets: float32 [K, 1].</param>
/// <param name="QueryX">Inputs to evaluate on: float32 [Q, 1].</param>
/// <param name="QueryY">Their targets: float32 [Q, 1].</param>
public sealed record RegressionTask(Tensor SupportX, Tensor SupportY, Tensor QueryX, Tensor QueryY);

/// <summary>
/// The sinusoid family of MAML (Finn et al. 2017): y = A·sin(x − φ) with amplitude A ∈ [0.1, 5],
/// phase φ ∈ [0, π] and inputs x ∈ [−5, 5], all uniform. Each task has its own A and φ.
/// </summary>
public sealed class SinusoidTasks(int seed)
{
    readonly Random random = new(seed);

    /// <summary>Draws a task with <paramref name="shots"/> support points and <paramref name="queries"/> query points.</summary>
    public RegressionTask Next(int shots, int queries)
    {
        double amplitude = 0.1 + 4.9 * random.NextDouble();
        double phase = Math.PI * random.NextDouble();
        (Tensor x, Tensor y) Points(int count)
        {
            var xs = Enumerable.Range(0, count).Select(_ => (float)(-5 + 10 * random.NextDouble())).ToArray();
            var ys = xs.Select(x => (float)(amplitude * Math.Sin(x - phase))).ToArray();
            return (tensor(xs).unsqueeze(1), tensor(ys).unsqueeze(1));
        }
        var (sx, sy) = Points(shots);
        var (qx, qy) = Points(queries);
        return new RegressionTask(sx, sy, qx, qy);
    }
}
