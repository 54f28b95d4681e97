using TorchSharp;
using static TorchSharp.torch;
using static Hypergrad.Generators.Tests.EndToEnd.RunEndToEndTests;

namespace Hypergrad.Generators.Tests.EndToEnd;

/// <summary>
/// What each outer step's hypergradient says about itself reaches the user of Run: in every progress report and
/// summed in the run's result; a run whose outer variables would never move is refused.
/// </summary>
public class RunCertificateTests
{
    [Fact]
    public void EveryOuterStepsCertificateReachesTheProgressAndIsSummedInTheResult()
    {
        // CG on an indefinite Hessian stops at negative curvature: not converged, a residual and a warning every step.
        var data = new RidgeData();
        var problem = new IndefiniteRidge(data.InitialWeight);
        var reports = new List<BilevelProgress>();
        var run = problem.Run(Cycle(data.Train), Cycle(data.Validation), new BilevelOptions
        {
            Steps = 21, UnrollSteps = 5, InnerOptimizer = new DifferentiableSgd(0.02), OuterOptimizer = new DifferentiableSgd(0.1),
        }, new SynchronousProgress(reports.Add));

        Assert.Equal(4, reports.Count);
        Assert.All(reports, r => Assert.False(r.Converged));
        Assert.All(reports, r => Assert.NotEmpty(r.Warnings));
        Assert.Equal(4, run.OuterStepsNotConverged);
        Assert.Equal(reports.Max(r => r.RelativeResidual), run.WorstRelativeResidual);
        Assert.True(run.WorstRelativeResidual > 1e-6);
        Assert.Equal(reports.Sum(r => (long)r.HessianVectorProducts), run.HessianVectorProducts);
        Assert.False(run.Clean);
        // Warnings that differ only in their numbers are one kind, counted once per outer step that raised it.
        var kinds = reports.SelectMany(r => r.Warnings.Select(w => (Step: r.OuterStep, Kind: RunKind(w)))).GroupBy(k => k.Kind).ToList();
        Assert.Equal(kinds.Count, run.Warnings.Count);
        foreach (var kind in kinds)
        {
            var summed = Assert.Single(run.Warnings, w => w.Kind == kind.Key);
            Assert.Equal(kind.Count(), summed.Count);
            Assert.Equal(kind.Min(k => k.Step), summed.FirstOuterStep);
        }
    }

    [Fact]
    public void TheRunsSummedProductsIncludeEveryNystromSketch()
    {
        // Nyström-preconditioned CG, rank-2 sketch refreshed every 3rd solve, warm-started: counted independently from
        // the reports' iterations, a solve costs one product per iteration, one for the warm start's residual (every
        // step but the first) and 2 when it builds the sketch (steps 1, 4, 7 of 9 when the solve after a fresh sketch does not
        // need many more iterations than the one that built it, which would rebuild it a step early; the test checks that).
        var data = new RidgeData(seed: 6);
        var problem = new SketchedCg(data.InitialWeight);
        var reports = new List<BilevelProgress>();
        var run = problem.Run(Cycle(data.Train), Cycle(data.Validation), new BilevelOptions
        {
            Steps = 31, UnrollSteps = 3, Patience = 4, InnerOptimizer = new DifferentiableSgd(0.1), OuterOptimizer = new DifferentiableSgd(0.5),
        }, new SynchronousProgress(reports.Add));

        Assert.Equal(9, reports.Count);
        for (int first = 0; first < 9; first += 3)
            Assert.True(reports[first + 1].Iterations <= 1.5 * reports[first].Iterations + 2, $"outer step {first + 2} would have refreshed the sketch");
        long expected = reports.Sum(r => (long)r.Iterations) + (reports.Count - 1) + 2 * 3;
        Assert.Equal(expected, run.HessianVectorProducts);
        Assert.Equal(reports.Sum(r => (long)r.HessianVectorProducts), run.HessianVectorProducts);
    }

    [Fact]
    public void AConvergedRunIsCleanAndItsWorstResidualIsBelowTheTolerance()
    {
        var data = new RidgeData();
        var problem = new RidgeDecay(data.InitialWeight);
        var run = problem.Run(Cycle(data.Train), Cycle(data.Validation), new BilevelOptions
        {
            Steps = 21, UnrollSteps = 5, InnerOptimizer = new DifferentiableSgd(0.1), OuterOptimizer = new DifferentiableSgd(0.1),
        });
        Assert.True(run.Clean);
        Assert.Equal(0, run.OuterStepsNotConverged);
        Assert.True(run.WorstRelativeResidual <= 1e-12, $"worst residual {run.WorstRelativeResidual}");
    }

    [Fact]
    public void AnOuterVariableWithAnExactlyZeroFirstHypergradientIsRefusedByName()
    {
        var data = new RidgeData();
        var problem = new RidgeWithUnusedOuter(data.InitialWeight);
        int reports = 0;
        var error = Assert.Throws<HypergradException>(() => problem.Run(Cycle(data.Train), Cycle(data.Validation), new BilevelOptions
        {
            Steps = 21, UnrollSteps = 5, InnerOptimizer = new DifferentiableSgd(0.1), OuterOptimizer = new DifferentiableSgd(0.1),
            AfterOuterStep = _ => reports++,
        }));
        Assert.Contains("'Unused'", error.Message);
        Assert.Contains("exactly zero at the first outer step", error.Message);
        Assert.Contains("Use it in an objective, remove its [Outer] mark", error.Message);
        Assert.DoesNotContain("'LogDecay'", error.Message);
        Assert.Equal(0, reports);
        Assert.Equal(new double[2], problem.Unused.detach().data<double>().ToArray());
    }

    [Fact]
    public void AnOuterOptimizerOverTheModelsParametersIsRefusedBeforeTheFirstStep()
    {
        var data = new RidgeData();
        var problem = new RidgeDecay(data.InitialWeight);
        var before = problem.Model.weight.detach().clone();
        var error = Assert.Throws<HypergradException>(() => problem.Run(Cycle(data.Train), Cycle(data.Validation), new BilevelOptions
        {
            Steps = 21, UnrollSteps = 5, InnerOptimizer = new DifferentiableSgd(0.1),
            OuterOptimizer = torch.optim.Adam(problem.Model.parameters(), 0.01),
        }));
        Assert.Contains("does not hold the outer variable 'LogDecay'", error.Message);
        Assert.Contains("problem.LogDecay", error.Message);
        Assert.Equal(before.data<double>().ToArray(), problem.Model.weight.detach().data<double>().ToArray());
    }

    [Fact]
    public void AnOuterOptimizerOverTheOuterVariablesIsAccepted()
    {
        var data = new RidgeData();
        var problem = new RidgeDecay(data.InitialWeight);
        var run = problem.Run(Cycle(data.Train), Cycle(data.Validation), new BilevelOptions
        {
            Steps = 11, UnrollSteps = 5, InnerOptimizer = new DifferentiableSgd(0.1),
            OuterOptimizer = torch.optim.Adam(new[] { problem.LogDecay }, 0.01),
        });
        Assert.Equal(2, run.OuterSteps);
        Assert.True(problem.LogDecay.detach().abs().max().item<double>() > 0);
    }

    [Fact]
    public void TheReportedOuterLossIsTheOuterObjectiveAtTheStepsVariables()
    {
        // The loss now comes from the engine's own evaluation of F (no second forward): check it against F evaluated
        // independently. F does not read LogDecay and the outer step does not move the weights, so F after the step is
        // F at the hypergradient's point; outer step k uses validation batch (k − 1) mod 2.
        var data = new RidgeData();
        var problem = new RidgeDecay(data.InitialWeight);
        var checkedSteps = 0;
        problem.Run(Cycle(data.Train), Cycle(data.Validation), new BilevelOptions
        {
            Steps = 21, UnrollSteps = 5, InnerOptimizer = new DifferentiableSgd(0.1), OuterOptimizer = new DifferentiableSgd(0.1),
            AfterOuterStep = report =>
            {
                var (x, y) = data.Validation[(report.OuterStep - 1) % 2];
                double expected = (x.matmul(problem.Model.weight.detach().squeeze(0)) - y).pow(2).mean().item<double>();
                Assert.Equal(expected, report.OuterLoss, 1e-14);
                checkedSteps++;
            },
        });
        Assert.Equal(4, checkedSteps);
    }

    private static string RunKind(string warning) => System.Text.RegularExpressions.Regex.Replace(warning, @"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?", "#");
}
