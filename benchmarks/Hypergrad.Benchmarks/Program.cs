// Implicit methods on multinomial logistic regression with per-feature weight decay:
// relative error against the dense solution, products used, and wall time as a multiple of one
// inner-gradient evaluation measured in the same run.
// Then the native memory of one hypergradient for T = 50 and T = 200 inner steps on a ~100k-parameter
// MLP: reverse unroll vs reverse with recompute vs an implicit method, as ratios.
//   dotnet run -c Release --project benchmarks/Hypergrad.Benchmarks [-- implicit | memory]
using System;
using Hypergrad.Benchmarks;

// One intra-op thread: the timings are ratios, and a single thread keeps them stable on a shared machine.
TorchSharp.torch.set_num_threads(1);
bool Section(string name) => args.Length == 0 || Array.IndexOf(args, name) >= 0;

if (Section("implicit"))
{
    var problem = new LogisticRegressionProblem(features: 200, classes: 10, samples: 1000, seed: 0);
    Console.WriteLine($"Softmax regression: {problem.Inner.Size} inner values ({string.Join(", ", problem.Inner.Names)}), " +
                      $"{problem.Outer.Size} outer values, float64, 1 thread.");
    new ImplicitMethodsBenchmark(problem).Run(Console.Out);
    Console.WriteLine();
}
if (Section("memory"))
    new UnrolledMemoryBenchmark().Run(Console.Out);
