using Hypergrad.Optimizers;
using Hypergrad.Parameters;
using Hypergrad.Unrolled;
using TorchSharp;
using static TorchSharp.torch;

namespace Hypergrad.Tests.Unrolled;

/// <summary>
/// The quadratic of closed-form check 1 (docs/methods.md) (float64): H = RᵀR/d + 0.5·I (d = 10), g = ½wᵀHw − wᵀ(Bλ + c),
/// F = ½‖w − w_t‖² + ½μ‖λ‖², with closed forms for unrolled gradient descent (check 5).
/// </summary>
sealed class Quadratic
{
    public const int D = 10, M = 3;
    public const double Mu = 0.1;
    public readonly Tensor H, B, C, Target;
    public readonly Tensor W;        // inner variable (its initial value is w₀)
    public readonly Tensor Lambda;   // outer variable
    public readonly ParameterSet Inner, Outer;
    public int InnerEvaluations;

    public Quadratic(Tensor? w0 = null, int seed = 3, Tensor? h = null)
    {
        var generator = new Generator((ulong)seed);
        var r = randn(D, D, float64, generator: generator);
        H = h ?? r.t().matmul(r) / D + 0.5 * eye(D, dtype: float64);
        B = randn(D, M, float64, generator: generator);
        C = randn(D, float64, generator: generator);
        Target = randn(D, float64, generator: generator);
        W = (w0 ?? zeros(D, float64)).clone().requires_grad_(true);
        Lambda = randn(M, float64, generator: generator).requires_grad_(true);
        Inner = new ParameterSet(("w", W));
        Outer = new ParameterSet(("lambda", Lambda));
    }

    public Tensor InnerObjective()
    {
        InnerEvaluations++;
        return 0.5 * W.dot(H.mv(W)) - W.dot(B.mv(Lambda) + C);
    }

    public Tensor OuterObjective() => 0.5 * (W - Target).pow(2).sum() + 0.5 * Mu * Lambda.pow(2).sum();

    public UnrolledProblem Problem(DifferentiableOptimizer optimizer, bool withOuter = true) =>
        new(Inner, withOuter ? Outer : null, InnerObjective, OuterObjective, optimizer);

    /// <summary>Plain gradient descent with step η from w₀, T steps (no autograd).</summary>
    public Tensor[] Iterates(double eta, int steps)
    {
        using var _ = no_grad();
        var w = W.detach().clone();
        var list = new List<Tensor> { w };
        for (int t = 0; t < steps; t++) list.Add(w = w - eta * (H.mv(w) - B.mv(Lambda) - C));
        return list.ToArray();
    }

    /// <summary>Check 5: η Bᵀ Σ_{t&lt;K} (I − ηH)^t (w_T − w_target) + μλ (K = T: the full unroll; K &lt; T: truncated to the last K steps).</summary>
    public Tensor UnrolledGradient(double eta, int steps, int differentiated)
    {
        using var _ = no_grad();
        var wT = Iterates(eta, steps)[^1];
        var m = eye(D, dtype: float64) - eta * H;
        var power = eye(D, dtype: float64);
        var sum = zeros(D, float64);
        for (int t = 0; t < differentiated; t++) { sum += power.mv(wT - Target); power = m.matmul(power); }
        return eta * B.t().mv(sum) + Mu * Lambda.detach();
    }

    public static void AssertClose(Tensor expected, Tensor actual, double rtol, string what)
    {
        var e = expected.detach().to(float64); var a = actual.detach().to(float64);
        double error = (a - e).norm().item<double>(), scale = e.norm().item<double>();
        Xunit.Assert.True(error <= rtol * scale, $"{what}: relative error {error / scale:g3} > {rtol:g3} (|expected| = {scale:g3})");
    }
}
