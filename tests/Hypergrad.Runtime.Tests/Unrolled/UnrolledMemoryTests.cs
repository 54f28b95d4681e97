using Hypergrad.Optimizers;
using Hypergrad.Unrolled;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Hypergrad.Tests.Unrolled;

/// <summary>Long runs stay flat: repeated hypergradients leave no live tensors behind.</summary>
public class UnrolledMemoryTests
{
    [Fact]
    public void Repeated_hypergradients_of_every_unrolled_method_leave_no_tensors_behind()
    {
        var q = new Quadratic();
        var problem = q.Problem(new DifferentiableSgd(0.2, momentum: 0.5));
        var options = new UnrolledOptions { UnrollSteps = 5, Truncation = 2, FiniteDifferenceStepSize = 0.2 };
        Action[] runs =
        [
            .. new[] { Method.ReverseUnroll, Method.ReverseRecompute, Method.TruncatedUnroll, Method.PessimisticTrajectoryTruncation,
                       Method.FirstOrder, Method.FiniteDifference, Method.GradientAlignment }
                .Select(m => (Action)(() => UnrolledHypergradient.Compute(problem, m, options).Dispose())),
            () => UnrolledHypergradient.Compose(problem, [Operation.DynamicInitialization, Operation.GradientDescentAggregation, Operation.ReverseUnroll], options).Dispose(),
            () => UnrolledHypergradient.Compose(problem, [Operation.ConjugateGradient], options).Dispose(),
        ];
        foreach (var run in runs) run();   // warm-up
        for (int r = 0; r < runs.Length; r++)
        {
            long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
            for (int i = 0; i < 30; i++) runs[r]();
            long after = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
            Assert.True(Math.Abs(after - before) <= 3, $"run {r}: {after - before} live tensors more after 30 hypergradients");
        }
    }

    [Theory]
    [InlineData(Method.FirstOrder)]
    [InlineData(Method.TruncatedUnroll)]
    [InlineData(Method.ReverseUnroll)]
    public void The_inner_loop_keeps_no_handle_of_replaced_optimizer_states(Method method)
    {
        // Live tensors seen when step 5 and step 45 ask for their objective: the loop must not hold one Adam
        // state (two slot tensors) per step taken, tracked or not.
        var q = new Quadratic();
        var live = new Dictionary<int, long>();
        Func<Tensor> ObjectiveOfStep(int step)
        {
            live[step] = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
            return q.InnerObjective;
        }
        var problem = new UnrolledProblem(q.Inner, q.Outer, ObjectiveOfStep, q.OuterObjective, new DifferentiableAdam(0.05, epsRoot: 1e-12));
        UnrolledHypergradient.Compute(problem, method, new UnrolledOptions { UnrollSteps = 50, Truncation = 2 }).Dispose();
        Assert.True(live[45] - live[5] <= 2, $"{method}: {live[45] - live[5]} more live tensors at step 45 than at step 5");
    }

    [Fact]
    public void The_backward_pass_of_ReverseRecompute_keeps_no_handle_per_step()
    {
        // Live tensors when the backward pass re-evaluates step 45 and, 40 steps later, step 5 (each step's second
        // evaluation; the first is the forward pass, whose trajectory stays alive throughout).
        var q = new Quadratic();
        var evaluations = new Dictionary<int, int>();
        var live = new Dictionary<int, long>();
        Func<Tensor> ObjectiveOfStep(int step) => () =>
        {
            evaluations[step] = evaluations.GetValueOrDefault(step) + 1;
            if (evaluations[step] == 2) live[step] = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
            return q.InnerObjective();
        };
        var problem = new UnrolledProblem(q.Inner, q.Outer, ObjectiveOfStep, q.OuterObjective, new DifferentiableAdam(0.05, epsRoot: 1e-12));
        UnrolledHypergradient.Compute(problem, Method.ReverseRecompute, new UnrolledOptions { UnrollSteps = 50 }).Dispose();
        Assert.True(live[5] - live[45] <= 2, $"{live[5] - live[45]} more live tensors at step 5 than at step 45 of the backward pass");
    }

    [Fact]
    public void DualMultiplier_and_MetaOptimizer_steps_leave_no_tensors_behind()
    {
        var q = new Quadratic();
        using var dm = new DualMultiplierHypergradient(q.Problem(new DifferentiableSgd(0.2)), [Operation.DualMultiplier, Operation.ConjugateGradient]);
        dm.Compute().Dispose();
        var model = nn.Linear(3, 1).to(float64);
        var x = randn(4, 3, float64);
        using var meta = new MetaOptimizer(model, new DifferentiableAdam(0.1));
        meta.Step(model.call(x).pow(2).mean());
        meta.StopGradient();

        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (int i = 0; i < 200; i++)
        {
            dm.Compute().Dispose();
            using var scope = NewDisposeScope();
            meta.Step(model.call(x).pow(2).mean());
            meta.StopGradient();   // a long inner run without meta-gradient: the graph must not grow either
        }
        long after = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        Assert.InRange(after - before, -5, 5);
    }
}
