using System;
using Hypergrad.Autograd;
using TorchSharp;
using static TorchSharp.torch;

namespace Hypergrad.Benchmarks.Problems;

/// <summary>The extreme eigenvalues of the inner Hessian H = ∇²_w g at the current inner variables, by power iteration.</summary>
static class Spectrum
{
    /// <summary>λ_max by power iteration on H, then λ_min by power iteration on λ_max·I − H (iterations each).</summary>
    public static (double Largest, double Smallest) Extremes(BenchmarkProblem problem, int iterations = 300)
    {
        using var scope = NewDisposeScope();
        var w = problem.Inner.CreateLeaf();
        Tensor gradient;
        using (problem.Inner.Substitute(w))
            gradient = Gradients.Of(problem.TrainLoss(), "inner objective", new[] { w }, new[] { "inner" }, createGraph: true)[0];
        Tensor H(Tensor x) => Gradients.VectorJacobianProduct(new[] { gradient }, "inner gradient", new[] { x }, new[] { w }, new[] { "inner" })[0];
        double PowerIteration(Func<Tensor, Tensor> apply)
        {
            var x = ones_like(w) / Math.Sqrt(w.numel());
            double value = 0;
            for (int i = 0; i < iterations; i++)
            {
                using var step = NewDisposeScope();
                var ax = apply(x);
                value = x.dot(ax).ToDouble();
                x = (ax / ax.norm()).MoveToOuterDisposeScope();
            }
            return value;
        }
        double largest = PowerIteration(H);
        double shifted = PowerIteration(x => largest * x - H(x));
        return (largest, largest - shifted);
    }
}
