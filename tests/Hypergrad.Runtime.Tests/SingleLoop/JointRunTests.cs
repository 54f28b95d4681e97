using Hypergrad.Data;
using Hypergrad.Optimizers;
using Hypergrad.Solving;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Hypergrad.Tests.SingleLoop;

/// <summary>Run's guarantees for the joint methods: bit-exact resume, divergence stopped and undone, misuse refused by name.</summary>
public class JointRunTests
{
    static HypergradientSettings Settings(Method method) => new(method)
    {
        InnerSteps = MethodFamilies.IsJoint(method) && method is not (Method.Soba or Method.Saba or Method.MaSoba) ? 2 : null,
        Iterations = method is Method.Amigo or Method.StocBio ? 3 : null,
        PenaltyStart = method is Method.F2sa or Method.Pgdm ? 10 : null,
    };

    static BilevelOptions Options(int steps, string? checkpoint) => new()
    {
        Steps = steps,
        // Stateful optimizers on both levels, so their state must be checkpointed too.
        InnerOptimizer = new DifferentiableSgd(0.2, momentum: 0.5),
        OuterOptimizer = new DifferentiableAdam(0.01),
        CheckpointPath = checkpoint,
    };

    public static TheoryData<Method> JointMethods => new(Enum.GetValues<Method>().Where(MethodFamilies.IsJoint));

    [Theory]
    [MemberData(nameof(JointMethods))]
    public void A_resumed_run_ends_bitwise_where_an_uninterrupted_one_does(Method method)
    {
        var whole = new BilevelQuadratic(Settings(method), innerBatches: 4, outerBatches: 3);
        var wholeRun = BilevelSolver.Run(whole.Problem, whole.Train(), whole.Validation(), Options(9, null));

        string path = Path.Combine(Path.GetTempPath(), $"joint-{method}-{Guid.NewGuid():N}.ckpt");
        try
        {
            var first = new BilevelQuadratic(Settings(method), innerBatches: 4, outerBatches: 3);
            BilevelSolver.Run(first.Problem, first.Train(), first.Validation(), Options(4, path));
            // A fresh process's view: new objects, the same data; the state (z, memory, copies, penalty, optimizers) comes from the file.
            var resumed = new BilevelQuadratic(Settings(method), innerBatches: 4, outerBatches: 3);
            var run = BilevelSolver.Run(resumed.Problem, resumed.Train(), resumed.Validation(), Options(9, path));
            Assert.Equal(4, run.ResumedFromStep);
            Assert.True(eq(whole.W.detach(), resumed.W.detach()).all().item<bool>(), $"{method}: w differs");
            Assert.True(eq(whole.Lambda.detach(), resumed.Lambda.detach()).all().item<bool>(), $"{method}: λ differs");
            Assert.Equal(wholeRun.OuterLosses, run.OuterLosses);
            Assert.Equal(wholeRun.OuterStepsNotConverged, run.OuterStepsNotConverged);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_diverging_inner_rate_stops_the_run_with_the_variables_finite()
    {
        var q = new BilevelQuadratic(new HypergradientSettings(Method.Soba) { AuxiliaryStepSize = 0.1, StepExponent = 0 });
        var error = Assert.Throws<HypergradException>(() => BilevelSolver.Run(q.Problem, q.Train(), q.Validation(), new BilevelOptions
        {
            Steps = 200,
            InnerOptimizer = new DifferentiableSgd(5.0),
            OuterOptimizer = new DifferentiableSgd(0.1),
        }));
        Assert.Contains("Method.Soba diverged", error.Message);
        Assert.Contains("undone", error.Message);
        Assert.True(isfinite(q.W.detach()).all().item<bool>() && isfinite(q.Lambda.detach()).all().item<bool>());
    }

    [Fact]
    public void A_diverging_auxiliary_step_stops_the_run_naming_it()
    {
        var q = new BilevelQuadratic(new HypergradientSettings(Method.Soba) { AuxiliaryStepSize = 50, StepExponent = 0 });
        var error = Assert.Throws<HypergradException>(() => BilevelSolver.Run(q.Problem, q.Train(), q.Validation(), new BilevelOptions
        {
            Steps = 500,
            InnerOptimizer = new DifferentiableSgd(0.1),
            OuterOptimizer = new DifferentiableSgd(0.1),
        }));
        Assert.Contains("AuxiliaryStepSize", error.Message);
        Assert.True(isfinite(q.W.detach()).all().item<bool>() && isfinite(q.Lambda.detach()).all().item<bool>());
    }

    [Fact]
    public void Saba_refuses_a_dataset_that_is_not_declared_finite()
    {
        var q = new BilevelQuadratic(new HypergradientSettings(Method.Saba));
        var error = Assert.Throws<HypergradException>(() => BilevelSolver.Run(q.Problem, Enumerable.Repeat(0, 10), q.Validation(), Options(3, null)));
        Assert.Contains("FiniteBatches", error.Message);
        Assert.Contains("training", error.Message);
    }

    [Fact]
    public void An_unset_auxiliary_step_needs_a_constant_rate_sgd()
    {
        var q = new BilevelQuadratic(new HypergradientSettings(Method.Amigo));
        var error = Assert.Throws<HypergradException>(() => BilevelSolver.Run(q.Problem, q.Train(), q.Validation(), new BilevelOptions
        {
            Steps = 3,
            InnerOptimizer = new DifferentiableAdam(0.1),
            OuterOptimizer = new DifferentiableSgd(0.1),
        }));
        Assert.Contains("AuxiliaryStepSize", error.Message);
        Assert.Contains("DifferentiableAdam", error.Message);
    }

    [Theory]
    [InlineData("UnrollSteps")]
    [InlineData("Patience")]
    [InlineData("InnerOptimizer")]
    public void Options_that_do_not_apply_are_refused_by_name(string option)
    {
        var q = new BilevelQuadratic(new HypergradientSettings(Method.Soba));
        var options = Options(3, null);
        if (option == "UnrollSteps") options.UnrollSteps = 5;
        if (option == "Patience") options.Patience = 2;
        if (option == "InnerOptimizer") options.InnerOptimizer = null;
        var error = Assert.Throws<HypergradException>(() => BilevelSolver.Run(q.Problem, q.Train(), q.Validation(), options));
        Assert.Contains($"BilevelOptions.{option}", error.Message);
    }

    [Fact]
    public void Finite_batches_visit_every_batch_once_per_epoch_in_a_seeded_order()
    {
        var batches = new FiniteBatches<int>(Enumerable.Range(0, 7).ToArray(), seed: 3);
        var drawn = batches.Take(21).ToArray();
        for (int epoch = 0; epoch < 3; epoch++)
            Assert.Equal(Enumerable.Range(0, 7), drawn.Skip(7 * epoch).Take(7).Order());
        Assert.NotEqual(drawn.Take(7), drawn.Skip(7).Take(7));
        Assert.Equal(drawn, new FiniteBatches<int>(Enumerable.Range(0, 7).ToArray(), seed: 3).Take(21));
        Assert.Equal(drawn, Enumerable.Range(0, 21).Select(p => batches.IndexAt(p)));
    }

    [Fact]
    public void A_meta_learning_initialization_is_refused_as_HG0051_says()
    {
        var w = new TorchSharp.Modules.Parameter(zeros(3, dtype: float64));
        var init = new TorchSharp.Modules.Parameter(ones(3, dtype: float64));
        var error = Assert.Throws<HypergradException>(() => new BilevelProblem<int, int>("Maml", new HypergradientSettings(Method.Amigo),
            new Hypergrad.Parameters.ParameterSet(Hypergrad.Parameters.ParameterSource.FromTensor("W", w)),
            new Hypergrad.Parameters.ParameterSet(Hypergrad.Parameters.ParameterSource.FromTensor("Init", init)),
            new Objective<int>("Support", _ => (w - init).pow(2).sum()), new Objective<int>("Query", _ => w.pow(2).sum()),
            initializations: [("W", "Init")]));
        Assert.Contains("Method.Amigo never restarts the inner variables", error.Message);
        Assert.Contains("InitializedFrom", error.Message);
    }
}
