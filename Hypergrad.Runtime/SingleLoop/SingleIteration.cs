using System.Linq;
using Hypergrad.Optimizers;
using Hypergrad.Solving;
using static TorchSharp.torch;

namespace Hypergrad.SingleLoop;

/// <summary>
/// <c>ComputeHypergradient</c> for a joint method: one iteration on one given pair of batches (each draw of the iteration
/// gets the same batch; for SABA they are a dataset of one batch each). The method's state and the inner optimizer's
/// state live here between calls, for as long as the problem's settings and inner optimizer stay the same.
/// </summary>
internal sealed class SingleIteration
{
    private JointMethod? method;
    private DifferentiableOptimizer? optimizer;
    private OptimizerState? state;

    /// <summary>One iteration; its direction (times the schedule's factor) is added to the outer variables' <c>.grad</c>.</summary>
    public HypergradientResult Take<TInnerBatch, TOuterBatch>(BilevelProblem<TInnerBatch, TOuterBatch> problem, DifferentiableOptimizer innerOptimizer,
        TInnerBatch innerBatch, TOuterBatch outerBatch)
    {
        var tensors = problem.InnerVariables.Select(v => v.Tensor).ToArray();
        if (!ReferenceEquals(optimizer, innerOptimizer) || method is null)
        {
            Forget();
            method = JointMethods.Create(problem.Name, problem.Settings, problem.InnerVariables, problem.OuterVariables, innerOptimizer);
            optimizer = innerOptimizer;
            using (NewDisposeScope()) state = innerOptimizer.Init(tensors).Clone().DetachFromDisposeScope();
        }
        using var guard = new StepGuard(problem.Name, problem.InnerVariables,
            "Lower the inner optimizer's learning rate (BilevelProblem.InnerOptimizer) or AuxiliaryStepSize.");
        var run = new OneBatchPair(() => problem.InnerObjective.Evaluate(innerBatch), () => problem.OuterObjective.Evaluate(outerBatch),
            problem.Name, method, (direction, scale) =>
            {
                using var scope = NewDisposeScope();
                guard.Remember();
                innerOptimizer.StepInPlace(tensors, problem.InnerVariables.Split(direction.Scaled(scale)), state!);
                guard.UndoIfNotFinite($"the inner step of Method.{method.Method}");
            });
        var step = method.Iterate(run);
        step.Result.AccumulateInto(problem.OuterVariables, step.Scale);
        return step.Result;
    }

    /// <summary>Drops the method's and the inner optimizer's state (new settings, another optimizer).</summary>
    public void Forget()
    {
        method?.Dispose();
        method = null;
        state?.DisposeTensors();
        state = null;
        optimizer = null;
    }

    private sealed class OneBatchPair(System.Func<Tensor> inner, System.Func<Tensor> outer, string name, JointMethod method,
        System.Action<Tensor, double> stepInner) : IJointRun
    {
        public JointBatch NextInner() => new(inner, 0);

        public JointBatch NextOuter() => new(outer, 0);

        public void StepInner(Tensor direction, double scale) => stepInner(direction, scale);

        public void InnerLoss(double value) => RequireFinite(value, "inner");

        public void OuterLoss(double value) => RequireFinite(value, "outer");

        private void RequireFinite(double value, string level)
        {
            if (!double.IsFinite(value))
                throw new HypergradException(
                    $"{name}: the {level} objective is {value} at iteration {method.Iteration} of Method.{method.Method}; check the variables' values " +
                    "and lower the inner optimizer's learning rate or AuxiliaryStepSize (the batches are finite).");
        }
    }
}
