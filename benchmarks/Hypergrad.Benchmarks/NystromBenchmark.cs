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

/// <summary>
/// Cost to accuracy: for each implicit method, the fewest Hessian-vector products (and the time, as a multiple of
/// one inner-gradient evaluation measured just before) at which its hypergradient is within 1e-4 and 1e-6 (relative)
/// of Exact's with the same damping ρ. Budgets are swept (iterations, or rank for Nyström) from small to large;
/// "—" means the largest budget did not reach the target. Every solve is cold (fresh solver, no warm start), so a
/// Nyström-preconditioned CG's HVPs include its sketch; the iterations column is its per-solve cost once the sketch is
/// reused across outer steps. A second table repeats the iterative methods without damping against the undamped Exact.
/// </summary>
sealed class NystromBenchmark(BenchmarkProblem problem, string name, double rho)
{
    static readonly int[] IterationBudgets = Enumerable.Range(1, 32).Concat(new[] { 48, 64, 96, 128, 192, 256, 384, 512 }).ToArray();
    static readonly double[] Targets = { 1e-4, 1e-6 };

    public void Run(TextWriter output)
    {
        long size = problem.Inner.Size;
        var (largest, smallest) = Spectrum.Extremes(problem);
        var (reference, _, _) = Hypergradient(new Exact { Rho = rho });
        var (undamped, _, _) = Hypergradient(new Exact());
        double bias = Error(reference, undamped);
        output.WriteLine($"{name}: {problem.Description}; H's eigenvalues in [{smallest:G3}, {largest:G3}] (power iteration), ρ = {rho:G3}. " +
                         $"Exact with ρ differs from the undamped hypergradient by {bias:E1} (relative): no damped method can be closer than that to the undamped answer.");
        output.WriteLine();
        output.WriteLine($"Against Exact with the same ρ = {rho:G3}:");
        output.WriteLine();
        var ranks = new[] { 5, 10, 20, 50, 100, 200, 500, 1000 }.Where(r => r < size).Append((int)size).ToArray();
        Sweep(output, reference, new (string, string, Func<int, ImplicitSolver>, int[])[]
        {
            ("ConjugateGradient", "iterations", k => new ConjugateGradient { Iterations = k, Tolerance = 0, Rho = rho }, IterationBudgets),
            ("NystromConjugateGradient, rank 10, Gaussian", "iterations", k => new NystromConjugateGradient { Rank = 10, Iterations = k, Tolerance = 0, Rho = rho }, IterationBudgets),
            ("NystromConjugateGradient, rank 50, Gaussian", "iterations", k => new NystromConjugateGradient { Rank = 50, Iterations = k, Tolerance = 0, Rho = rho }, IterationBudgets),
            ("NystromConjugateGradient, rank 50, columns", "iterations", k => new NystromConjugateGradient { Rank = 50, Sampling = NystromSampling.Columns, Iterations = k, Tolerance = 0, Rho = rho }, IterationBudgets),
            ("Neumann, automatic α", "iterations", k => new Neumann { Iterations = k, Tolerance = 0, Rho = rho }, IterationBudgets),
            ("Nystrom, columns", "rank", k => new Nystrom { Rank = k, Rho = rho }, ranks),
            ("Nystrom, Gaussian", "rank", k => new Nystrom { Rank = k, Rho = rho, Sampling = NystromSampling.Gaussian }, ranks),
        });
        output.WriteLine();
        // Nyström needs ρ > 0: its distance to the undamped answer is at least the bias above, whatever its rank.
        output.WriteLine("Against the undamped Exact (the iterative methods without damping, ρ = 0; Nystrom cannot run undamped):");
        output.WriteLine();
        Sweep(output, undamped, new (string, string, Func<int, ImplicitSolver>, int[])[]
        {
            ("ConjugateGradient, ρ = 0", "iterations", k => new ConjugateGradient { Iterations = k, Tolerance = 0 }, IterationBudgets),
            ("NystromConjugateGradient, rank 10, Gaussian, ρ = 0", "iterations", k => new NystromConjugateGradient { Rank = 10, Iterations = k, Tolerance = 0 }, IterationBudgets),
            ("NystromConjugateGradient, rank 50, Gaussian, ρ = 0", "iterations", k => new NystromConjugateGradient { Rank = 50, Iterations = k, Tolerance = 0 }, IterationBudgets),
            ("Neumann, automatic α, ρ = 0", "iterations", k => new Neumann { Iterations = k, Tolerance = 0 }, IterationBudgets),
        });
        reference.Dispose();
        undamped.Dispose();
    }

    void Sweep(TextWriter output, Tensor reference, (string Method, string Budget, Func<int, ImplicitSolver> Create, int[] Budgets)[] rows)
    {
        output.WriteLine("| method | budget swept | HVPs to 1e-4 | time to 1e-4 (× inner gradient) | HVPs to 1e-6 | iterations to 1e-6 | time to 1e-6 (× inner gradient) |");
        output.WriteLine("|---|---|---|---|---|---|---|");
        foreach (var (method, budget, create, budgets) in rows)
        {
            var reached = new (int Products, int Iterations, double Ratio)?[Targets.Length];
            foreach (int k in budgets)
            {
                double unit = InnerGradientSeconds();
                var watch = Stopwatch.StartNew();
                var (gradient, products, iterations) = Hypergradient(create(k));
                double ratio = watch.Elapsed.TotalSeconds / unit;
                double error = Error(gradient, reference);
                gradient.Dispose();
                for (int t = 0; t < Targets.Length; t++)
                    if (reached[t] is null && error <= Targets[t]) reached[t] = (products, iterations, ratio);
                if (reached[^1] is not null) break;
            }
            string Cell((int Products, int Iterations, double Ratio)? r, Func<(int Products, int Iterations, double Ratio), string> show) => r is null ? "—" : show(r.Value);
            output.WriteLine($"| {method} | {budget} ≤ {budgets[^1]} | {Cell(reached[0], r => $"{r.Products}")} | {Cell(reached[0], r => $"{r.Ratio:F1}")} | " +
                             $"{Cell(reached[1], r => $"{r.Products}")} | {Cell(reached[1], r => $"{r.Iterations}")} | {Cell(reached[1], r => $"{r.Ratio:F1}")} |");
        }
    }

    (Tensor Gradient, int Products, int Iterations) Hypergradient(ImplicitSolver solver)
    {
        using var engine = new ImplicitHypergradient(problem.Inner, problem.Outer, solver);
        using var result = engine.Compute(problem.TrainLoss, problem.ValidationLoss);
        return (result["LogDecay"].clone(), result.HessianVectorProducts, result.Iterations);
    }

    static double Error(Tensor actual, Tensor expected) => (actual - expected).norm().ToDouble() / expected.norm().ToDouble();

    // The unit of time: evaluate g and ∇_w g once (median of 5 batches of 5).
    double InnerGradientSeconds()
    {
        var parameters = problem.Inner.Select(v => v.Tensor).ToArray();
        var names = problem.Inner.Names.ToArray();
        var batches = new List<double>();
        for (int batch = 0; batch < 5; batch++)
        {
            var watch = Stopwatch.StartNew();
            for (int i = 0; i < 5; i++)
            {
                using var scope = NewDisposeScope();
                Gradients.Of(problem.TrainLoss(), "inner objective", parameters, names);
            }
            batches.Add(watch.Elapsed.TotalSeconds / 5);
        }
        batches.Sort();
        return batches[batches.Count / 2];
    }
}
