using TorchSharp;
using static TorchSharp.torch;
using static Hypergrad.Generators.Tests.EndToEnd.RunEndToEndTests;

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
