using Hypergrad.Parameters;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Hypergrad.Tests.Implicit;

/// <summary>
/// Closed-form check 1 (docs/methods.md): H = RᵀR/d + 0.5·I, g = ½wᵀHw − wᵀ(Bλ + c), F = ½‖w − w_t‖² + ½μ‖λ‖², with w at
/// the inner solution w* = H⁻¹(Bλ + c). dF/dλ = Bᵀ (H + ρI)⁻¹ (w* − w_t) + μλ (ρ = 0 is the exact answer).
/// </summary>
sealed class Quadratic
{
    public const int D = 10, M = 3;
    public const double Mu = 0.3;
    public readonly Tensor H, B, C, Target;
    public readonly Parameter W, Lambda;
    public readonly ParameterSet Inner, Outer;

    public Quadratic(int seed = 0)
    {
        var generator = new Generator((ulong)seed);
        var r = randn(D, D, dtype: float64, generator: generator);
        H = r.T.mm(r) / D + 0.5 * eye(D, dtype: float64);
        B = randn(D, M, dtype: float64, generator: generator);
        C = randn(D, dtype: float64, generator: generator);
        Target = randn(D, dtype: float64, generator: generator);
        Lambda = new Parameter(randn(M, dtype: float64, generator: generator));
        W = new Parameter(linalg.solve(H, B.mv(Lambda.detach()) + C));
        Inner = new ParameterSet(("W", W));
        Outer = new ParameterSet(("Lambda", Lambda));
    }

    public Tensor InnerObjective() => 0.5 * W.dot(H.mv(W)) - W.dot(B.mv(Lambda) + C);

    public Tensor OuterObjective() => 0.5 * (W - Target).pow(2).sum() + 0.5 * Mu * Lambda.pow(2).sum();

    public Tensor Expected(double rho = 0) =>
        B.T.mv(linalg.solve(H + rho * eye(D, dtype: float64), W.detach() - Target)) + Mu * Lambda.detach();

    public double LargestEigenvalue => linalg.eigvalsh(H).max().ToDouble();

    public static double RelativeError(Tensor actual, Tensor expected) =>
        (actual - expected).norm().ToDouble() / expected.norm().ToDouble();
}
