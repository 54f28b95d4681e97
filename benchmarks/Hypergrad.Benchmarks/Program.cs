// Implicit methods on multinomial logistic regression with per-feature weight decay:
// relative error against the dense solution, products used, and wall time as a multiple of one
// inner-gradient evaluation measured in the same run.
// Then the native memory of one hypergradient for T = 50 and T = 200 inner steps on a ~100k-parameter
// MLP: reverse unroll vs reverse with recompute vs an implicit method, as ratios.
// Then cost to accuracy (HVPs and time to reach 1e-4 and 1e-6 of Exact with the same damping) on softmax regression
// and on the same model with fast-decaying feature scales (a Hessian spectrum that decays fast).
// Then what the implicit path and the generated Run cost on top of the same computation written by hand in TorchSharp
// (one tensor per parameter) on a 20-tensor MLP and softmax regression, as ratios.
// Then whole hyper-cleaning runs (cleaning-run, not part of the default): total Hessian-vector products and time of CG from
// zero, warm-started CG and Nyström-preconditioned CG with sketch reuse, each to the same tolerance (needs Fashion-MNIST).
// Or the benchopt-style comparison of whole bilevel runs on two real problems (Comparison/CompareCommand.cs).
//   dotnet run -c Release --project benchmarks/Hypergrad.Benchmarks [-- implicit | memory | nystrom | overheads | cleaning-run [repetitions]]
//   dotnet run -c Release --project benchmarks/Hypergrad.Benchmarks -- compare [--seeds N] [--quick] [--tune] [--budget S] [--task logreg|cleaning]
using System;
using Hypergrad.Benchmarks;
using Hypergrad.Benchmarks.Comparison;
using Hypergrad.Benchmarks.Problems;

// One intra-op thread: the timings are ratios, and a single thread keeps them stable on a shared machine.
TorchSharp.torch.set_num_threads(1);
if (args.Length > 0 && args[0] == "compare")
    return CompareCommand.Run(args[1..], Console.Out);
bool Section(string name) => args.Length == 0 || Array.IndexOf(args, name) >= 0;
bool Requested(string name) => Array.IndexOf(args, name) >= 0;

if (Section("implicit"))
{
    var problem = new LogisticRegressionProblem(features: 200, classes: 10, samples: 1000, seed: 0);
    Console.WriteLine($"Softmax regression: {problem.Inner.Size} inner values ({string.Join(", ", problem.Inner.Names)}), " +
                      $"{problem.Outer.Size} outer values, float64, 1 thread.");
    new ImplicitMethodsBenchmark(problem).Run(Console.Out);
    Console.WriteLine();
}
if (Section("nystrom"))
{
    new NystromBenchmark(new LogisticRegressionProblem(features: 200, classes: 10, samples: 1000, seed: 0),
        "Softmax regression", rho: 1e-3).Run(Console.Out);
    Console.WriteLine();
    new NystromBenchmark(new LogisticRegressionProblem(features: 200, classes: 10, samples: 1000, seed: 0, featureDecay: 1.5, logDecay: -8),
        "Softmax regression, feature j scaled by (j + 1)^−1.5, weight decay e^−8 (fast-decaying spectrum, small floor)", rho: 1e-4).Run(Console.Out);
    Console.WriteLine();
    new NystromBenchmark(new MlpProblem(inputs: 16, width: 16, layers: 10, classes: 4, samples: 256, seed: 0),
        "Deep MLP (20 parameter tensors), weight decay e^−3", rho: 1e-3).Run(Console.Out);
    Console.WriteLine();
    new NystromBenchmark(new MlpProblem(inputs: 16, width: 128, layers: 2, classes: 4, samples: 256, seed: 0, logDecay: -8),
        "Wide MLP (one hidden layer of 128), weight decay e^−8 (fast-decaying spectrum, small floor)", rho: 1e-4).Run(Console.Out);
    Console.WriteLine();
}
if (Section("overheads"))
    new OverheadsBenchmark(Console.Out).Run();
if (Section("memory"))
    new UnrolledMemoryBenchmark().Run(Console.Out);
if (Requested("cleaning-run"))
{
    // cleaning-run [repetitions]: each repetition runs every variant once more (interleaved); default 1.
    int at = Array.IndexOf(args, "cleaning-run");
    int repetitions = at + 1 < args.Length && int.TryParse(args[at + 1], out var n) ? n : 1;
    if (repetitions < 1) throw new ArgumentException($"cleaning-run: the number of repetitions must be at least 1, not {repetitions}.");
    new CleaningRunBenchmark(repetitions).Run(Console.Out, Console.Error);
}
return 0;
