using TorchSharp;
using static TorchSharp.torch;
using static Hypergrad.Generators.Tests.EndToEnd.RunEndToEndTests;
using static TorchSharp.torch.nn.functional;

namespace Hypergrad.Generators.Tests.EndToEnd;

/// <summary>
/// A diverging run stops early (not at ±Inf), undoes the step that did it and blames the right optimizer; bad data is
/// named before any solver sees it.
/// </summary>
public class DivergenceTests
{
    [Fact]
    public void AWildOuterLearningRateIsBlamedOnTheOuterOptimizerAndItsStepUndone()
    {
        var data = new RidgeData();
        var problem = new LinearDecayRidge(data.InitialWeight);
        int reports = 0;
        // Outer step 1 takes the decay from 1 to about −1e5: the inner objective is unbounded below from then on.
        var error = Assert.Throws<HypergradException>(() => problem.Run(Cycle(data.Train), Cycle(data.Validation), new BilevelOptions
        {
            Steps = 30, UnrollSteps = 5, InnerOptimizer = new DifferentiableSgd(0.1),
            OuterOptimizer = torch.optim.SGD(new[] { problem.Decay }, 1e6),
            AfterOuterStep = _ => reports++,
        }));
        Assert.Contains("outer step 1 diverged", error.Message);
        Assert.Contains("Lower the outer optimizer's learning rate", error.Message);
        Assert.DoesNotContain("inner optimizer diverged", error.Message);
        Assert.DoesNotContain("Lower the inner optimizer's learning rate", error.Message);
        Assert.Equal(1, reports);
        // Undone: the decay is back at its value before outer step 1 (ones), every value finite.
        Assert.Equal(Enumerable.Repeat(1.0, RidgeData.Features), problem.Decay.detach().data<double>().ToArray());
        Assert.True(problem.Model.weight.isfinite().all().item<bool>());
    }

    [Fact]
    public void AWildOuterLearningRateIsBlamedOnTheOuterOptimizerInAnUnrolledRun()
    {
        var data = new RidgeData();
        var problem = new UnrolledLinearDecayRidge(data.InitialWeight);
        var error = Assert.Throws<HypergradException>(() => problem.Run(Cycle(data.Train), Cycle(data.Validation), new BilevelOptions
        {
            Steps = 30, InnerOptimizer = new DifferentiableSgd(0.1), OuterOptimizer = torch.optim.SGD(new[] { problem.Decay }, 1e6),
        }));
        Assert.Contains("outer step 1 diverged", error.Message);
        Assert.Contains("Lower the outer optimizer's learning rate", error.Message);
        Assert.Equal(Enumerable.Repeat(1.0, RidgeData.Features), problem.Decay.detach().data<double>().ToArray());
    }

    [Fact]
    public void AnInnerLearningRateThatDivergesIsCaughtLongBeforeInfinityAndBlamedOnTheInnerOptimizer()
    {
        // Inner SGD with η = 3 on a ridge whose curvature exceeds 2/η: each step multiplies the error by more than 1.
        var data = new RidgeData();
        var problem = new RidgeDecay(data.InitialWeight);
        var losses = new List<double>();
        var error = Assert.Throws<HypergradException>(() => problem.Run(Cycle(data.Train), Cycle(data.Validation), new BilevelOptions
        {
            Steps = 1000, UnrollSteps = 5, InnerOptimizer = new DifferentiableSgd(3.0), OuterOptimizer = new DifferentiableSgd(0.01),
        }));
        Assert.Contains("the inner optimizer diverged", error.Message);
        Assert.Contains("Lower the inner optimizer's learning rate", error.Message);
        Assert.DoesNotContain("outer step", error.Message);
        Assert.Contains("DivergenceFactor = 1E+04", error.Message);
        // Stopped while the weights are still moderate (an undone step, no Inf anywhere): the loss there is below the factor.
        var w = problem.Model.weight.detach();
        Assert.True(w.isfinite().all().item<bool>());
        double loss = data.Train.Select(b => RidgeData.Inner(w, problem.LogDecay.detach(), b).item<double>()).Max();
        Assert.True(loss < 1e4 * 1e4, $"loss at the restored weights {loss:G3}");
    }

    [Fact]
    public void TheDivergenceFactorIsAnOptionAndInfinityStopsOnlyAtNonFiniteValues()
    {
        var data = new RidgeData();
        var strict = new RidgeDecay(data.InitialWeight);
        // η = 1.2 grows the loss slowly: a factor of 2 stops it, the default lets it go on for longer.
        var strictError = Assert.Throws<HypergradException>(() => strict.Run(Cycle(data.Train), Cycle(data.Validation), new BilevelOptions
        {
            Steps = 1000, UnrollSteps = 5, InnerOptimizer = new DifferentiableSgd(3.0), OuterOptimizer = new DifferentiableSgd(0.01), DivergenceFactor = 2,
        }));
        Assert.Contains("DivergenceFactor = 2", strictError.Message);

        var invalid = Assert.Throws<HypergradException>(() => strict.Run(Cycle(data.Train), Cycle(data.Validation), new BilevelOptions
        {
            Steps = 10, InnerOptimizer = new DifferentiableSgd(0.1), OuterOptimizer = new DifferentiableSgd(0.01), DivergenceFactor = 0,
        }));
        Assert.Contains("BilevelOptions.DivergenceFactor is 0", invalid.Message);
    }

    /// <summary>A batch (x, y) of <see cref="TinyEquilibrium.Rows"/> rows for the equilibrium tests.</summary>
    private static (Tensor x, Tensor y) EquilibriumBatch(int seed)
    {
        var generator = new torch.Generator((ulong)seed);
        return (randn(TinyEquilibrium.Rows, TinyEquilibrium.Features, dtype: float64, generator: generator),
                randint(TinyEquilibrium.Classes, TinyEquilibrium.Rows, generator: generator));
    }

    [Fact]
    public void AWildOuterLearningRateStopsAnEquilibriumRunLongBeforeInfinityAndUndoesTheStep()
    {
        // The map stays a contraction whatever the outer step does (W = 0.5·tanh(V)/4), and cross-entropy of huge logits is
        // finite: without the factor this run would finish 30 steps with logits of order 1e5 and no error.
        var problem = new TinyEquilibrium(seed: 5);
        var batches = new[] { EquilibriumBatch(6), EquilibriumBatch(7), EquilibriumBatch(8) };
        var outer = new[] { problem.Recurrent, problem.Injection, problem.Head };
        var beforeEachStep = new List<Tensor[]> { outer.Select(p => p.detach().clone()).ToArray() };
        var losses = new List<double>();
        var error = Assert.Throws<HypergradException>(() => problem.Run(batches, new BilevelOptions
        {
            Steps = 30, OuterOptimizer = torch.optim.SGD(outer, 1e6),
            AfterOuterStep = r => { losses.Add(r.OuterLoss); beforeEachStep.Add(outer.Select(p => p.detach().clone()).ToArray()); },
        }));
        Assert.Contains("TinyEquilibrium: outer step 1 diverged", error.Message);
        Assert.Contains("Lower the outer optimizer's learning rate", error.Message);
        Assert.Contains("DivergenceFactor = 1E+04", error.Message);
        Assert.DoesNotContain("inner optimizer", error.Message);
        // Stopped at step 2 (one step reported): step 1's F is O(1), step 2's exceeds 1e4 times it but is finite.
        Assert.Single(losses);
        Assert.InRange(losses[0], 0.01, 10);
        // Undone: every outer variable is back at its value before outer step 1, exactly.
        for (int i = 0; i < outer.Length; i++)
            Assert.Equal(beforeEachStep[0][i].data<double>().ToArray(), outer[i].detach().data<double>().ToArray());
        // Independently: F at those restored values on step 1's batch equals the reported step-1 loss (same θ, same z*).
        var (x, y) = batches[0];
        using (no_grad())
        {
            var z = zeros(TinyEquilibrium.Rows, TinyEquilibrium.Hidden, dtype: float64);
            for (int i = 0; i < 200; i++) z = problem.Layer(z, x, y);   // a 0.5-contraction: 0.5²⁰⁰ from z*
            Assert.Equal(losses[0], cross_entropy(z.matmul(problem.Head.t()), y).item<double>(), 1e-10);
        }
    }

    [Fact]
    public void AnEquilibriumRunWithAnOrdinaryLearningRateIsNotStoppedAndTheFactorIsValidated()
    {
        var problem = new TinyEquilibrium(seed: 5);
        var batches = new[] { EquilibriumBatch(6), EquilibriumBatch(7), EquilibriumBatch(8) };
        var outer = new[] { problem.Recurrent, problem.Injection, problem.Head };
        var run = problem.Run(batches, new BilevelOptions { Steps = 12, OuterOptimizer = torch.optim.SGD(outer, 0.5) });
        Assert.Equal(12, run.OuterSteps);
        Assert.All(run.OuterLosses, l => Assert.True(double.IsFinite(l)));
        // The same run with a factor no ordinary change passes (1e-12 of the loss) is stopped at its second step.
        var strict = new TinyEquilibrium(seed: 5);
        var strictOuter = new[] { strict.Recurrent, strict.Injection, strict.Head };
        var strictError = Assert.Throws<HypergradException>(() => strict.Run(batches, new BilevelOptions
        {
            Steps = 12, OuterOptimizer = torch.optim.SGD(strictOuter, 0.5), DivergenceFactor = 1e-12,
        }));
        Assert.Contains("outer step 1 diverged", strictError.Message);
        Assert.Contains("DivergenceFactor = 1E-12", strictError.Message);

        var invalid = Assert.Throws<HypergradException>(() => strict.Run(batches, new BilevelOptions
        {
            Steps = 3, OuterOptimizer = torch.optim.SGD(strictOuter, 0.5), DivergenceFactor = double.NaN,
        }));
        Assert.Contains("BilevelOptions.DivergenceFactor is NaN", invalid.Message);
    }

    [Fact]
    public void ANaNInAValidationLabelIsNamedAsValidationDataWithItsBatchAndElement()
    {
        var data = new RidgeData();
        var labels = data.Validation[1].y.clone();
        labels[3] = double.NaN;
        var validation = new[] { data.Validation[0], (data.Validation[1].x, labels) };
        var problem = new RidgeDecay(data.InitialWeight);
        var error = Assert.Throws<HypergradException>(() => problem.Run(Cycle(data.Train), Cycle(validation), new BilevelOptions
        {
            Steps = 30, UnrollSteps = 5, InnerOptimizer = new DifferentiableSgd(0.1), OuterOptimizer = new DifferentiableSgd(0.1),
        }));
        Assert.Contains("validation batch 1", error.Message);
        Assert.Contains("tensor 2 of 2", error.Message);
        Assert.Contains("element [3]", error.Message);
        Assert.Contains("NaN", error.Message);
        Assert.DoesNotContain("Nystrom", error.Message);
        Assert.DoesNotContain("step size", error.Message);
    }

    [Fact]
    public void AnInfinityInTrainingInputsIsNamedAsTrainingData()
    {
        var data = new RidgeData();
        var inputs = data.Train[2].x.clone();
        inputs[5, 1] = double.PositiveInfinity;
        var train = new[] { data.Train[0], data.Train[1], (inputs, data.Train[2].y) };
        var problem = new RidgeDecay(data.InitialWeight);
        var before = problem.Model.weight.detach().clone();
        var error = Assert.Throws<HypergradException>(() => problem.Run(Cycle(train), Cycle(data.Validation), new BilevelOptions
        {
            Steps = 30, UnrollSteps = 5, InnerOptimizer = new DifferentiableSgd(0.1), OuterOptimizer = new DifferentiableSgd(0.1),
        }));
        Assert.Contains("training batch 2", error.Message);
        Assert.Contains("tensor 1 of 2", error.Message);
        Assert.Contains("element [5, 1]", error.Message);
        Assert.Contains("Infinity", error.Message);
    }
}
