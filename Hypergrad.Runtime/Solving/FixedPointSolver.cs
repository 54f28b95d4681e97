using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Threading;
using TorchSharp;
using static TorchSharp.torch;

namespace Hypergrad.Solving;

/// <summary>
/// The training loop of an equilibrium problem (<c>[FixedPointMap]</c> class), which the generated <c>Run</c> calls:
/// <code>
/// for i in 1 ..= Steps:
///     batch = next batch
///     z* = equilibrium of the batch (iterate the map without a graph)
///     dF/dθ at z* on the same batch (implicit, (I − Jᵀ) x = ∂F/∂z*); outer optimizer step; AfterOuterStep; progress
/// </code>
/// One data source: every step draws one batch, which the map and the outer objective share. There are no inner
/// optimizer steps (the state is found by iteration), so every step is an outer step. Checkpoints (position, the
/// state, the outer variables and the outer optimizer's state) are written every <c>CheckpointInterval</c> steps, at
/// the end and on cancellation; a run whose checkpoint exists resumes from it. A step that leaves an outer variable NaN
/// or ±Inf, or after which the outer objective moves by more than <c>DivergenceFactor</c> (as in <see cref="BilevelSolver"/>),
/// is undone and stops the run.
/// </summary>
public static class FixedPointSolver
{
    private const string OuterFix =
        "Lower the outer optimizer's learning rate (BilevelOptions.OuterOptimizer), bound the outer variables ([Outer(Min = …, Max = …)]), " +
        "or make the hypergradient more accurate (more Iterations).";

    /// <summary>Trains <paramref name="problem"/>'s outer variables for <c>options.Steps</c> batches.</summary>
    /// <param name="problem">The problem (its variables are trained in place).</param>
    /// <param name="data">Batches; restarted when exhausted.</param>
    /// <param name="options">Steps, the outer optimizer and checkpointing (the inner optimizer, unroll steps and patience do not apply).</param>
    /// <param name="progress">Receives a report after every step.</param>
    /// <param name="cancellationToken">Stops the run at the next step boundary, after writing the checkpoint.</param>
    public static BilevelRunResult Run<TBatch>(FixedPointProblem<TBatch> problem, IEnumerable<TBatch> data, BilevelOptions options,
        IProgress<BilevelProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(problem);
        ArgumentNullException.ThrowIfNull(options);
        using var exclusive = problem.Enter(nameof(Run));
        options.ValidateForFixedPointMap(problem.Name, problem.FixedPointMap.Name);
        var outerOptimizer = options.OuterOptimizer!;
        outerOptimizer.CheckHolds(problem.OuterVariables, problem.Name);
        if (options.CheckpointPath is { } checkpointPath) CheckpointFile.CheckWritable(checkpointPath);
        var settings = SettingsFingerprint.Of(problem.Settings, options, unrollSteps: 1);
        var summary = new RunSummary();
        var dataCheck = new DataCheck(problem.Name, "training");
        outerOptimizer.Bind(problem.OuterVariables);
        using var cursor = new BatchCursor<TBatch>(data, "training");
        var outerLosses = new List<double>();
        var position = new RunPosition(0, 0, 0, 0, outerLosses);
        if (options.CheckpointPath is { } resumePath && File.Exists(resumePath))
        {
            position = CheckpointFile.Read(resumePath, problem.Name, settings, options.AllowSettingsChange, summary,
                problem.InnerVariables, problem.OuterVariables, null, outerOptimizer);
            cursor.Skip(position.TrainConsumed);
            outerLosses.AddRange(position.OuterLosses);
            position = position with { OuterLosses = outerLosses };
        }
        int resumedFrom = position.Step;
        void Save()
        {
            if (options.CheckpointPath is { } path)
                CheckpointFile.Write(path, problem.Name, position, settings, summary, problem.InnerVariables, problem.OuterVariables, null, outerOptimizer);
        }

        var clock = Stopwatch.StartNew();
        using var guard = new StepGuard(problem.Name, problem.OuterVariables, OuterFix);
        var divergence = new DivergenceCheck(options.DivergenceFactor);
        int stepsThisRun = 0;   // the guard holds the values before the last step only once this run has taken one
        for (int step = position.Step + 1; step <= options.Steps; step++)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                Save();
                cancellationToken.ThrowIfCancellationRequested();
            }
            // Batches belong to the dispose scope open when they are drawn: one scope per step.
            using var scope = NewDisposeScope();
            var batch = dataCheck.Check(cursor.Next(), cursor.Consumed - 1);
            outerOptimizer.ZeroGrad(problem.OuterVariables);
            HypergradientResult result;
            double outerLoss;   // F's value as the engine computed it
            try
            {
                result = problem.Compute(batch, out outerLoss);
            }
            catch (HypergradException e) when (stepsThisRun > 0 && Implicit.Equilibrium.IsDivergence(e))
            {
                // The map was a contraction at the last step's outer variables (its solve converged to finite values);
                // the outer step since made it diverge: undo that step, as a jump of F would.
                guard.Undo();
                throw new HypergradException(
                    $"{problem.Name}: outer step {step - 1} diverged: it moved the outer variables so that the equilibrium solve of the next step failed. " +
                    $"{e.Message} The outer variables are restored to their values before outer step {step - 1} (the equilibrium state and the outer " +
                    $"optimizer's state are not). {OuterFix}", e);
            }
            using var resultScope = result;
            // F jumping from one step to the next is the last outer step's doing: the data are finite and the state is the
            // equilibrium at the new outer variables (a resumed run scales by the run's first loss too, as the uninterrupted run does).
            if (stepsThisRun > 0 && divergence.Diverged(outerLoss, outerLosses[^1], outerLosses[0]))
            {
                guard.Undo();
                throw new HypergradException(
                    $"{problem.Name}: outer step {step - 1} diverged: the outer objective {problem.OuterObjective.Name} went from {outerLosses[^1]:G6} to " +
                    $"{outerLoss:G6} at the equilibrium of the next step. The outer variables are restored to their values before outer step {step - 1} " +
                    $"(the equilibrium state and the outer optimizer's state are not). {OuterFix} {divergence.Note}");
            }
            if (!double.IsFinite(outerLoss))
                throw new HypergradException(
                    $"{problem.Name}: the outer objective {problem.OuterObjective.Name} is {outerLoss} at step {step}, before any outer step of this run; " +
                    "the initial values of the outer variables or the objective produce it (the data are finite). Check the initial values and the objective.");
            if (step == 1) ZeroHypergradient.RefuseAtFirstStep(problem.Name, problem.OuterVariables, result);
            guard.Remember();
            outerOptimizer.Step(problem.OuterVariables);
            guard.UndoIfNotFinite($"outer step {step}");
            problem.ApplyOuterBounds();
            outerLosses.Add(outerLoss);
            stepsThisRun++;
            summary.Add(step, result);

            var equilibrium = problem.LastEquilibrium!;
            var report = new BilevelProgress(step, options.Steps, step, double.NaN, outerLoss, result.Iterations, result.RelativeResidual,
                result.HessianVectorProducts, result.Converged, clock.Elapsed)
            {
                Warnings = result.Warnings,
                EquilibriumIterations = equilibrium.Iterations,
                EquilibriumResidual = equilibrium.RelativeResidual,
            };
            position = new RunPosition(step, step, cursor.Consumed, 0, outerLosses);
            if (step % options.CheckpointInterval == 0) Save();
            options.AfterOuterStep?.Invoke(report);
            progress?.Report(report);
        }
        Save();
        return summary.Complete(new BilevelRunResult(options.Steps, options.Steps, outerLosses.ToArray(), resumedFrom));
    }
}
