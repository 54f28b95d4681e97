using Hypergrad.Benchmarks.Comparison;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace Hypergrad.Benchmarks.Tests;

/// <summary>
/// The comparison's re-solve of w*(λ) on ridge regression split over two parameters, whose minimiser has a closed form:
/// w* = (XᵀX/n + μI)⁻¹ Xᵀy/n. It must find it, measure there, and leave the method's variables exactly as they were.
/// </summary>
public class InnerSolutionTests
{
    const int N = 50, D = 7;
    const double Mu = 0.05;

    [Fact]
    public void Measures_at_the_closed_form_minimiser_and_restores_the_iterate_bitwise()
    {
        var generator = new Generator(3);
        var x = randn(N, D, dtype: float64, generator: generator);
        var y = randn(N, dtype: float64, generator: generator);
        var expected = linalg.solve(x.T.mm(x) / N + Mu * eye(D, dtype: float64), x.T.mv(y) / N);
        // The iterate: float32 parameters, the first 4 weights in one, the last 3 in another (flattened in that order).
        var head = new Parameter(randn(2, 2, generator: generator));
        var tail = new Parameter(randn(3, generator: generator));
        var headBefore = head.detach().clone();
        var tailBefore = tail.detach().clone();
        Tensor Loss(Tensor w) => 0.5 * (x.mv(w) - y).pow(2).mean() + 0.5 * Mu * w.pow(2).sum();

        using var solution = new InnerSolution([head, tail], Loss);
        // (Inside the measurement: tensors made there belong to its dispose scope.)
        double error = solution.At(() => (cat([head.detach().reshape(-1), tail.detach()]).to_type(ScalarType.Float64) - expected).abs().max().ToDouble());

        Assert.True(solution.WorstGradient <= InnerSolution.GradientTolerance, $"gradient {solution.WorstGradient:E2}");
        Assert.True(error < 1e-4, $"largest error {error:E2} from the closed form");   // 1e-5 / smallest curvature, in float32
        Assert.True(head.detach().eq(headBefore).all().ToBoolean() && tail.detach().eq(tailBefore).all().ToBoolean(), "the iterate was not restored bit for bit");

        // λ unchanged: the next measurement starts at the last solution and needs no iteration.
        int iterations = solution.Iterations;
        Assert.True(iterations > 0);
        solution.At(() => 0);
        Assert.Equal(iterations, solution.Iterations);
    }
}
