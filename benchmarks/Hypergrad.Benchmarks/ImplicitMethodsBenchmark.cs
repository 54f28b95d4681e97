using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using Hypergrad.Autograd;
using Hypergrad.Benchmarks.Problems;
using Hypergrad.Implicit;
using TorchSharp;
using static TorchSharp.torch;

namespace Hypergrad.Benchmarks;

/// <summary>Runs every implicit method once per repetition and prints a Markdown table.</summary>
sealed class ImplicitMethodsBenchmark(LogisticRegressionProblem problem)
{
    const int Repetitions = 5;

    public void Run(TextWriter output)
    {
        var (reference, referenceResult, _) = Measure(new Exact());
        referenceResult.Dispose();
        double lambdaMax = LargestEigenvalue();
        output.WriteLine($"One inner-gradient evaluation: {InnerGradientSeconds() * 1e3:F2} ms (re-measured before every timed run: each ratio is against the value next to it). " +
                         $"λ_max(H) ≈ {lambdaMax:G3} (α = 1/λ_max below).");
        output.WriteLine();
        output.WriteLine("| method | settings | relative error vs Exact | HVPs | iterations | relative residual | converged | time (× inner gradient) |");
        output.WriteLine("|---|---|---|---|---|---|---|---|");

        double alpha = 1 / lambdaMax;
        var rows = new (string Settings, ImplicitSolver Solver, bool FixedPointMap)[]
        {
            ("dense LU (reference)", new Exact(), false),
            ("K = 20, tol 1e-8", new ConjugateGradient { Iterations = 20, Tolerance = 1e-8 }, false),
            ("K = 100, tol 1e-8", new ConjugateGradient { Iterations = 100, Tolerance = 1e-8 }, false),
            ("K = 100, tol 1e-8", new ConjugateGradientNormal { Iterations = 100, Tolerance = 1e-8 }, false),
            ("K = 100, α = 1/λ_max", new Neumann { Iterations = 100, Alpha = alpha, Tolerance = 0 }, false),
            ("K = 100, Φ = w − α∇g", new FixedPoint { Iterations = 100, Tolerance = 0 }, true),
            ("rank 20, ρ = 0.1", new Nystrom { Rank = 20, Rho = 0.1 }, false),
            ("rank 200, ρ = 0.1", new Nystrom { Rank = 200, Rho = 0.1 }, false),
            ("SGD momentum 0.9, lr = 1/λ_max, K = 100", new OptimizerSolve { Iterations = 100, Alpha = alpha, Tolerance = 1e-8 }, false),
        };
        foreach (var (settings, solver, fixedPointMap) in rows)
        {
            var (gradient, result, ratio) = Measure(solver, fixedPointMap ? alpha : null);
            double error = (gradient - reference).norm().ToDouble() / reference.norm().ToDouble();
            output.WriteLine($"| {solver.Method} | {settings} | {error:E1} | {result.HessianVectorProducts} | {result.Iterations} | " +
                             $"{result.RelativeResidual:E1} | {(result.Converged ? "yes" : "no")} | {ratio:F1} |");
            result.Dispose();
        }
    }

    // Returns the median over repetitions of (method time / inner-gradient time measured just before it):
    // on a shared machine, load changes then cancel out of each ratio.
    (Tensor Gradient, HypergradientResult Result, double Ratio) Measure(ImplicitSolver solver, double? fixedPointStep = null)
    {
        using var engine = new ImplicitHypergradient(problem.Inner, problem.Outer, solver);   // frees its warm start
        HypergradientResult Once() => fixedPointStep is double step
            ? engine.ComputeWithFixedPointMap(FixedPointMap.GradientStep(problem.TrainLoss, step), problem.ValidationLoss)
            : engine.Compute(problem.TrainLoss, problem.ValidationLoss);

        Once().Dispose();   // warm-up
        var ratios = new List<double>();
        HypergradientResult? last = null;
        for (int i = 0; i < Repetitions; i++)
        {
            last?.Dispose();
            double unit = InnerGradientSeconds();
            var watch = Stopwatch.StartNew();
            last = Once();
            ratios.Add(watch.Elapsed.TotalSeconds / unit);
        }
        return (last!["LogDecay"].clone(), last, Median(ratios));
    }

    static double Median(List<double> values)
    {
        values.Sort();
        return values[values.Count / 2];
    }

    // The unit of time: evaluate g and ∇_w g once, as an inner optimizer step would.
    double InnerGradientSeconds()
    {
        var parameters = problem.Inner.Select(v => v.Tensor).ToArray();
        var names = problem.Inner.Names.ToArray();
        void Once()
        {
            using var scope = NewDisposeScope();
            Gradients.Of(problem.TrainLoss(), "inner objective", parameters, names);
        }
        for (int i = 0; i < 5; i++) Once();
        var batches = new List<double>();
        for (int batch = 0; batch < 5; batch++)
        {
            var watch = Stopwatch.StartNew();
            for (int i = 0; i < 10; i++) Once();
            batches.Add(watch.Elapsed.TotalSeconds / 10);
        }
        return Median(batches);
    }

    // λ_max by power iteration with Hessian-vector products (sets α for Neumann, fixed point and SGD).
    double LargestEigenvalue()
    {
        using var scope = NewDisposeScope();
        var w = problem.Inner.CreateLeaf();
        Tensor gradient;
        using (problem.Inner.Substitute(w))
            gradient = Gradients.Of(problem.TrainLoss(), "inner objective", new[] { w }, new[] { "inner" }, createGraph: true)[0];
        var x = ones_like(w) / Math.Sqrt(w.numel());
        double eigenvalue = 0;
        for (int i = 0; i < 100; i++)
        {
            var hx = Gradients.VectorJacobianProduct(new[] { gradient }, "inner gradient", new[] { x }, new[] { w }, new[] { "inner" })[0];
            eigenvalue = x.dot(hx).ToDouble();
            x = hx / hx.norm();
        }
        return eigenvalue;
    }
}
