using Hypergrad.Autograd;
using Hypergrad.Implicit;
using Hypergrad.Tests.Implicit;
using Xunit;
using static TorchSharp.torch;

namespace Hypergrad.Tests.Native;

/// <summary>
/// The solver loops under constant garbage collection. A C# number passed to TorchSharp as a temporary Scalar can be
/// freed by a collection while libtorch still reads it (Hypergrad.Runtime/Native/KeptScalars.cs): then a solve throws a
/// native error or computes with a wrong alpha. This test is a probabilistic guard, not a proof: it runs hundreds of
/// CG and Richardson solves while another thread collects and finalizes without pause, and checks every solution
/// against linalg.solve. KeptScalarRuleTests is the deterministic check of the same rule.
/// </summary>
/// <remarks>
/// Runs alone: its collections would expose the other test classes' own objectives (plain TorchSharp code such as
/// <c>0.5 * W.dot(…)</c>) to the same race.
/// </remarks>
[Collection(nameof(GcPressure))]
public class ScalarLifetimeStressTests
{
    const int Solves = 150;

    [Fact]
    public void CgAndRichardsonSolveCorrectlyWhileTheGcFinalizesConstantly()
    {
        var q = new Quadratic(seed: 3);
        var v = q.Target.clone();
        var expected = linalg.solve(q.H, v);
        var solvers = new ImplicitSolver[]
        {
            new ConjugateGradient { Iterations = 50, Tolerance = 1e-10 },
            new FixedPoint { Iterations = 2000, Tolerance = 1e-10, Alpha = 1 / q.LargestEigenvalue },
        };

        using var stop = new CancellationTokenSource();
        int collections = 0;
        var pressure = new Thread(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                collections++;
            }
        }) { IsBackground = true };
        pressure.Start();
        try
        {
            for (int i = 0; i < Solves; i++)
                foreach (var solver in solvers)
                {
                    using var scope = NewDisposeScope();
                    using var system = new LinearSystem(new Tensor[] { q.W },
                        () => Gradients.Of(q.InnerObjective(), "inner objective", new Tensor[] { q.W }, new[] { "W" }, createGraph: true)[0],
                        isFixedPointMap: false);
                    var solution = solver.Solve(system, v, null);
                    Assert.True(solution.Converged, $"{solver.Method}, solve {i}: did not converge ({solution.RelativeResidual:G3})");
                    Assert.True(Quadratic.RelativeError(solution.X, expected) < 1e-8,
                        $"{solver.Method}, solve {i}: relative error {Quadratic.RelativeError(solution.X, expected):G3}");
                }
        }
        finally
        {
            stop.Cancel();
            pressure.Join();
        }
        Assert.True(collections > Solves, $"only {collections} collections ran during the solves; the test applied no pressure");
    }
}

/// <summary>Tests that collect garbage without pause: they must run alone.</summary>
[CollectionDefinition(nameof(GcPressure), DisableParallelization = true)]
public sealed class GcPressure;
