using Hypergrad;
using TorchSharp;
using static TorchSharp.torch;

namespace Hypergrad.Generators.Tests.EndToEnd;

// Quadratic bilevel problems written in the DSL alone, whose hypergradients have closed forms (OptionReachabilityTests):
//   inner g(w, λ) = ½ wᵀAw − (b + λ)ᵀw,   outer F(w) = ½‖w − c‖²,
// so H = A, ∂²g/∂λ∂w = −I and the implicit hypergradient at any w is dF/dλ = A⁻¹(w − c).

/// <summary>A, b, c and the starting point shared by the quadratic problems (float64).</summary>
public static class QuadraticData
{
    /// <summary>Symmetric positive definite, eigenvalues in [1, 4] (λ_max ≈ 3.9).</summary>
    public static Tensor A() => tensor(new double[,] { { 3.0, 0.5, 0.2 }, { 0.5, 2.0, 0.3 }, { 0.2, 0.3, 1.5 } }, dtype: float64);
    public static Tensor B() => tensor(new[] { 1.0, -0.5, 0.25 }, dtype: float64);
    public static Tensor C() => tensor(new[] { 0.3, 0.1, -0.2 }, dtype: float64);
    public static Tensor W0() => tensor(new[] { 0.7, -0.4, 0.9 }, dtype: float64);

    /// <summary>A larger system that CG needs all its iterations for: QΛQᵀ, eigenvalues spread over [0.01, 4], Q a Householder reflection.</summary>
    public const int LargeSize = 100;
    public static Tensor LargeA()
    {
        var u = arange(1, LargeSize + 1, dtype: float64);
        var q = eye(LargeSize, dtype: float64) - 2 * outer(u, u) / u.dot(u);
        return q.mm(diag(linspace(0.01, 4, LargeSize, dtype: float64))).mm(q.T);
    }
    public static Tensor LargeB() => arange(LargeSize, dtype: float64).sin();
    public static Tensor LargeC() => 0.3 * arange(LargeSize, dtype: float64).cos();
    public static Tensor LargeW0() => 0.1 * arange(LargeSize, dtype: float64) / LargeSize;
}

/// <summary>The quadratic problem's variables and objectives.</summary>
public abstract class QuadraticBase
{
    [Inner] public Tensor W { get; } = QuadraticData.W0().requires_grad_(true);
    [Outer] public Tensor Lambda { get; } = tensor(new[] { 0.1, 0.2, -0.1 }, dtype: float64).requires_grad_(true);

    private readonly Tensor a = QuadraticData.A(), b = QuadraticData.B(), c = QuadraticData.C();

    [InnerObjective] public Tensor G() => 0.5 * W.dot(a.mv(W)) - (b + Lambda).dot(W);
    [OuterObjective] public Tensor F() => 0.5 * (W - c).pow(2).sum();
}

/// <summary>Neumann with a given step α and K = 5: the truncated series α Σ_{k≤5} (I − αA)ᵏ (w − c), not the exact solve.</summary>
[Hypergradient(Method.Neumann, Alpha = 0.2, Iterations = 5, Tolerance = 0)]
public partial class NeumannWithAlpha : QuadraticBase { }

/// <summary>FixedPoint on an inner objective with a step α: K damped updates x ← x + α(v − Ax).</summary>
[Hypergradient(Method.FixedPoint, Alpha = 0.2, Iterations = 6, Tolerance = 0)]
public partial class FixedPointWithAlpha : QuadraticBase { }

/// <summary>CG solved to 1e-14: the exact implicit hypergradient.</summary>
[Hypergradient(Method.ConjugateGradient, Iterations = 50, Tolerance = 1e-14)]
public partial class TightConjugateGradient : QuadraticBase { }

/// <summary>
/// iMAML as a composition: T = 4 SGD steps on g(w, θ) = ½ wᵀAw − bᵀw + (μ/2)‖w − θ‖² from w₀ = θ (A: the large
/// system, condition number ≈ 4000 with μ), then the implicit hypergradient at w_T by CG to 1e-14:
/// dF/dθ = μ (A + μI)⁻¹ (w_T − c). CG's default tolerance (1e-6) would be ~1e-5 off.
/// </summary>
[Hypergradient(Method.ReverseUnroll, Operations = new[] { Operation.InitializationUnroll, Operation.ConjugateGradient },
    Iterations = 500, Tolerance = 1e-14, UnrollSteps = 4)]
public partial class ImplicitMamlComposition
{
    public const double Proximal = 0.001;

    [Outer] public Tensor MetaInit { get; } = QuadraticData.LargeW0().requires_grad_(true);
    [Inner(InitializedFrom = nameof(MetaInit))] public Tensor W { get; } = QuadraticData.LargeW0().requires_grad_(true);

    private readonly Tensor a = QuadraticData.LargeA(), b = QuadraticData.LargeB(), c = QuadraticData.LargeC();

    [InnerObjective] public Tensor Support() => 0.5 * W.dot(a.mv(W)) - b.dot(W) + Proximal / 2 * (W - MetaInit).pow(2).sum();
    [OuterObjective] public Tensor Query() => 0.5 * (W - c).pow(2).sum();
}

/// <summary>The same composition with Neumann as its implicit stage and a given α.</summary>
[Hypergradient(Method.ReverseUnroll, Operations = new[] { Operation.InitializationUnroll, Operation.Neumann },
    Alpha = 0.2, Iterations = 3, Tolerance = 0, UnrollSteps = 4)]
public partial class NeumannMamlComposition
{
    public const double Proximal = 0.5;

    [Outer] public Tensor MetaInit { get; } = QuadraticData.W0().requires_grad_(true);
    [Inner(InitializedFrom = nameof(MetaInit))] public Tensor W { get; } = QuadraticData.W0().requires_grad_(true);

    private readonly Tensor a = QuadraticData.A(), b = QuadraticData.B(), c = QuadraticData.C();

    [InnerObjective] public Tensor Support() => 0.5 * W.dot(a.mv(W)) - b.dot(W) + NeumannMamlComposition.Proximal / 2 * (W - MetaInit).pow(2).sum();
    [OuterObjective] public Tensor Query() => 0.5 * (W - c).pow(2).sum();
}

/// <summary>OptimizerSolve on the quadratic problem (its settings are replaced in the option-rule tests).</summary>
[Hypergradient(Method.OptimizerSolve, Alpha = 0.2, Iterations = 2000, Tolerance = 1e-10)]
public partial class OptimizerSolveQuadratic : QuadraticBase { }

/// <summary>Nyström on the quadratic problem (its settings are replaced in the option-rule tests).</summary>
[Hypergradient(Method.Nystrom, Rank = 3, Rho = 0.1)]
public partial class NystromQuadratic : QuadraticBase { }

/// <summary>Neumann with the largest iteration budget: K + 1 terms must not overflow; it stops at its tolerance.</summary>
[Hypergradient(Method.Neumann, Alpha = 0.25, Iterations = int.MaxValue, Tolerance = 1e-13)]
public partial class UnboundedNeumann : QuadraticBase { }
