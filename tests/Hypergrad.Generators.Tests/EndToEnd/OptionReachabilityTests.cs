using static TorchSharp.torch;

namespace Hypergrad.Generators.Tests.EndToEnd;

/// <summary>
/// Every solver option written in [Hypergradient] reaches the engine, including the implicit stage of an Operations
/// list and FixedPoint's Alpha, checked through the generated code alone against closed forms (QuadraticProblems.cs)
/// at 1e-12 in float64; and a run-time override of the settings is used and checked by the attribute's rules.
/// </summary>
public class OptionReachabilityTests
{
    private const double Tight = 1e-12;

    /// <summary>α Σ_{k=0}^{K} (I − αM)ᵏ v, computed term by term with plain tensor algebra.</summary>
    private static Tensor TruncatedNeumann(Tensor m, Tensor v, double alpha, int k)
    {
        var step = eye(m.shape[0], dtype: float64) - alpha * m;
        var term = v.clone();
        var sum = v.clone();
        for (int i = 0; i < k; i++)
        {
            term = step.mv(term);
            sum += term;
        }
        return alpha * sum;
    }

    private static void AssertClose(Tensor expected, Tensor actual, double tolerance = Tight)
    {
        double error = (expected - actual.detach()).abs().max().item<double>();
        Assert.True(error <= tolerance, $"max error {error:E3} > {tolerance:E1}");
    }

    [Fact]
    public void NeumannUsesTheDeclaredAlphaAndIterations()
    {
        var problem = new NeumannWithAlpha();
        using var result = problem.ComputeHypergradient();
        // dF/dλ = x with A x = w − c, here the 6-term series with α = 0.2 (α = 1 would diverge: λ_max(A) ≈ 3.9).
        var expected = TruncatedNeumann(QuadraticData.A(), QuadraticData.W0() - QuadraticData.C(), 0.2, 5);
        AssertClose(expected, result["Lambda"]);
        Assert.Equal(Method.Neumann, result.Method);
        Assert.False(result.Converged);   // Tolerance = 0: all six terms, reported as not converged
    }

    [Fact]
    public void FixedPointOnAnInnerObjectiveUsesTheDeclaredAlpha()
    {
        var problem = new FixedPointWithAlpha();
        using var result = problem.ComputeHypergradient();
        // Six updates x ← x + α(v − Ax) from 0: the same 6-term series.
        AssertClose(TruncatedNeumann(QuadraticData.A(), QuadraticData.W0() - QuadraticData.C(), 0.2, 5), result["Lambda"]);
    }

    [Fact]
    public void ConjugateGradientAtATightToleranceIsTheExactImplicitHypergradient()
    {
        var problem = new TightConjugateGradient();
        using var result = problem.ComputeHypergradient();
        AssertClose(linalg.solve(QuadraticData.A(), QuadraticData.W0() - QuadraticData.C()), result["Lambda"]);
        Assert.True(result.Converged && result.RelativeResidual <= 1e-14);
    }

    [Fact]
    public void NeumannWithIterationsIntMaxValueStopsAtItsTolerance()
    {
        var problem = new UnboundedNeumann();
        using var result = problem.ComputeHypergradient();
        AssertClose(linalg.solve(QuadraticData.A(), QuadraticData.W0() - QuadraticData.C()), result["Lambda"], 1e-11);
        Assert.True(result.Converged && result.Iterations < 1000, $"{result.Iterations} iterations");
    }

    /// <summary>w_T after T SGD steps (step η) on the iMAML support loss ½ wᵀAw − bᵀw + (μ/2)‖w − θ‖² from w₀ = θ, and A + μI.</summary>
    private static (Tensor WT, Tensor H) ImamlTrajectory(Tensor a, Tensor b, Tensor theta, double mu, int steps, double eta)
    {
        var h = a + mu * eye(a.shape[0], dtype: float64);
        var w = theta.clone();
        for (int t = 0; t < steps; t++) w = w - eta * (h.mv(w) - b - mu * theta);
        return (w, h);
    }

    [Fact]
    public void ImamlCompositionSolvesWithTheDeclaredConjugateGradientOptions()
    {
        var problem = new ImplicitMamlComposition();
        problem.BilevelProblem.InnerOptimizer = new DifferentiableSgd(0.1);
        using var result = problem.ComputeHypergradient();

        double mu = ImplicitMamlComposition.Proximal;
        var (wT, h) = ImamlTrajectory(QuadraticData.LargeA(), QuadraticData.LargeB(), QuadraticData.LargeW0(), mu, 4, 0.1);
        // dF/dθ = −(∂²g/∂θ∂w) x = μ x with (A + μI) x = w_T − c.
        AssertClose(mu * linalg.solve(h, wT - QuadraticData.LargeC()), result["MetaInit"]);
        AssertClose(wT, problem.W);                       // left at the final iterate
        Assert.True(result.RelativeResidual <= 1e-14, $"CG stopped at {result.RelativeResidual:E2}");
    }

    [Fact]
    public void NeumannCompositionUsesTheDeclaredAlphaAndIterations()
    {
        var problem = new NeumannMamlComposition();
        problem.BilevelProblem.InnerOptimizer = new DifferentiableSgd(0.1);
        using var result = problem.ComputeHypergradient();

        double mu = NeumannMamlComposition.Proximal;
        var (wT, h) = ImamlTrajectory(QuadraticData.A(), QuadraticData.B(), QuadraticData.W0(), mu, 4, 0.1);
        AssertClose(mu * TruncatedNeumann(h, wT - QuadraticData.C(), 0.2, 3), result["MetaInit"]);
    }

    [Fact]
    public void SettingsReplacedAtRunTimeAreUsed()
    {
        var problem = new NeumannWithAlpha();
        // A step known only at run time: α = 1/λ_max(A).
        double alpha = 1 / linalg.eigvalsh(QuadraticData.A()).max().item<double>();
        problem.BilevelProblem.Settings = problem.BilevelProblem.Settings with { Alpha = alpha, Iterations = 8 };
        using var result = problem.ComputeHypergradient();
        AssertClose(TruncatedNeumann(QuadraticData.A(), QuadraticData.W0() - QuadraticData.C(), alpha, 8), result["Lambda"]);
        Assert.Equal(0.0, problem.BilevelProblem.Settings.Tolerance);   // what was not replaced stays the attribute's
    }

    [Theory]
    [InlineData("Alpha", "Alpha = 0 is invalid: it must be positive and finite")]
    [InlineData("Iterations", "Iterations = -1 is invalid: it must be positive")]
    [InlineData("Tolerance", "Tolerance = Infinity is invalid: it must be zero or positive and finite")]
    [InlineData("Method", "replaced settings must keep it")]
    [InlineData("Rank", "Rank is not used by Method.Neumann and would be ignored")]
    public void SettingsReplacedAtRunTimeAreCheckedByTheAttributesRules(string option, string message)
    {
        var problem = new NeumannWithAlpha();
        var settings = problem.BilevelProblem.Settings;
        var replaced = option switch
        {
            "Alpha" => settings with { Alpha = 0 },
            "Iterations" => settings with { Iterations = -1 },
            "Tolerance" => settings with { Tolerance = double.PositiveInfinity },
            "Rank" => settings with { Rank = 5 },
            _ => settings with { Method = Method.ConjugateGradient },
        };
        var error = Assert.Throws<HypergradException>(() => problem.BilevelProblem.Settings = replaced);
        Assert.Contains(message, error.Message);
        Assert.StartsWith("NeumannWithAlpha: ", error.Message);
        Assert.Same(settings, problem.BilevelProblem.Settings);   // refused settings are not kept
    }
}
