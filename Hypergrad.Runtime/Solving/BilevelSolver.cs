using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using Hypergrad.Autograd;
using Hypergrad.Optimizers;
using TorchSharp;
using static TorchSharp.torch;

namespace Hypergrad.Solving;

/// <summary>
/// The bilevel solver loop (hypergrad's <c>Solver.run</c>), which the generated <c>Run</c> calls:
/// <code>
/// for i in 0 ..&lt; Steps:
///     inner step on the next training batch
///     if i &gt; 0 and i ≥ Patience and i % UnrollSteps == 0:
///         outer step along the hypergradient (next training and validation batch); AfterOuterStep; progress
/// </code>
/// Every inner step draws its own training batch. The implicit outer step draws one more training batch (for the
/// Hessian) and one validation batch, as hypergrad's <c>outer_update</c> does. Iterative methods differentiate
/// through the inner steps of each window (i − UnrollSteps, i]: the window's outer step draws the window's training
/// batches (one per step, in order) and one validation batch, takes those steps itself with the inner optimizer
/// (from a fresh optimizer state), step t on the t-th batch, differentiates through them, and the inner variables
/// continue from the final iterate. Inner steps outside every window (before the patience, after the last outer
/// step) are ordinary optimizer steps.
/// </summary>
public static class BilevelSolver
{
    /// <summary>Runs <paramref name="problem"/> with <paramref name="options"/>; resumes from a checkpoint if one exists.</summary>
    /// <param name="problem">The problem (its variables are trained in place).</param>
    /// <param name="train">Inner batches; restarted when exhausted.</param>
    /// <param name="validation">Outer batches; restarted when exhausted.</param>
    /// <param name="options">Steps, unroll steps, patience, optimizers, checkpointing.</param>
    /// <param name="progress">Receives a report after every outer step.</param>
    /// <param name="cancellationToken">Stops the run at the next step boundary, after writing the checkpoint.</param>
    public static BilevelRunResult Run<TInnerBatch, TOuterBatch>(BilevelProblem<TInnerBatch, TOuterBatch> problem,
        IEnumerable<TInnerBatch> train, IEnumerable<TOuterBatch> validation, BilevelOptions options,
        IProgress<BilevelProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(problem);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate(problem.Settings, problem.InnerStep is not null);
        using var run = new Loop<TInnerBatch, TOuterBatch>(problem, train, validation, options, progress);
        return run.Execute(cancellationToken);
    }

    /// <summary>True when an outer step follows inner step <paramref name="step"/>.</summary>
    internal static bool IsOuterStep(int step, int steps, int unrollSteps, int patience) =>
        step > 0 && step >= patience && step % unrollSteps == 0 && step < steps;

    /// <summary>The state of one run; one instance per call of <see cref="Run{TInnerBatch, TOuterBatch}"/>.</summary>
    private sealed class Loop<TInnerBatch, TOuterBatch> : IDisposable
    {
        private readonly BilevelProblem<TInnerBatch, TOuterBatch> problem;
        private readonly BilevelOptions options;
        private readonly IProgress<BilevelProgress>? progress;
        private readonly IEnumerable<TInnerBatch> train;
        private readonly IEnumerable<TOuterBatch> validation;
        private readonly int unrollSteps;
        private readonly Tensor[] innerTensors;
        private readonly string[] innerNames;
        private readonly OptimizerState? innerState;
        private readonly OuterOptimizer outerOptimizer;
        private readonly List<double> outerLosses = new();
        private readonly Stopwatch clock = Stopwatch.StartNew();
        private double lastInnerLoss = double.NaN;

        // A step that makes a variable NaN or ±Inf is undone, so a diverging run stops with the last good values in place.
        private readonly StepGuard innerGuard;
        private readonly StepGuard outerGuard;

        // Iterative meta-learning: every unroll starts from θ, so a step outside the windows would be thrown away
        // (skipping it also keeps window k's training batches with the k-th validation batch: one task per window).
        private readonly bool skipStepsOutsideWindows;

        public Loop(BilevelProblem<TInnerBatch, TOuterBatch> problem, IEnumerable<TInnerBatch> train, IEnumerable<TOuterBatch> validation,
            BilevelOptions options, IProgress<BilevelProgress>? progress)
        {
            this.problem = problem;
            this.train = train ?? throw new ArgumentNullException(nameof(train));
            this.validation = validation ?? throw new ArgumentNullException(nameof(validation));
            this.options = options;
            this.progress = progress;
            unrollSteps = options.ResolveUnrollSteps(problem.Settings.UnrollSteps);
            innerTensors = problem.InnerVariables.Select(v => v.Tensor).ToArray();
            innerNames = problem.InnerVariables.Names.ToArray();
            // Optimizer state lives for the whole run: created outside every per-step dispose scope.
            innerState = options.InnerOptimizer?.Init(innerTensors);
            outerOptimizer = options.OuterOptimizer!;
            outerOptimizer.Bind(problem.OuterVariables);
            innerGuard = new StepGuard(problem.Name, problem.InnerVariables,
                "Lower the inner optimizer's learning rate (or, right after an outer step, the outer one).");
            outerGuard = new StepGuard(problem.Name, problem.OuterVariables,
                "Lower the outer optimizer's learning rate, or make the hypergradient more accurate (more Iterations, a larger Rho for Nystrom).");
            skipStepsOutsideWindows = problem.Settings.IsIterative && problem.Initialization is not null;
        }

        public BilevelRunResult Execute(CancellationToken cancellationToken)
        {
            using var trainCursor = new BatchCursor<TInnerBatch>(train, "training");
            using var validationCursor = new BatchCursor<TOuterBatch>(validation, "validation");
            var position = Resume(trainCursor, validationCursor);
            int resumedFrom = position.Step;
            if (position.Step == 0) StartInnerProblem();
            int step = position.Step, outerSteps = position.OuterSteps;

            int pendingWindowSteps = 0;
            while (step < options.Steps)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    Save(position);
                    cancellationToken.ThrowIfCancellationRequested();
                }

                // Batches belong to the dispose scope open when they are drawn: one scope per step.
                using (NewDisposeScope())
                {
                    if (problem.Settings.IsIterative && InWindow(step)) pendingWindowSteps++;   // taken by the outer step's unroll
                    else if (!skipStepsOutsideWindows) InnerUpdate(trainCursor.Next(), step);

                    if (IsOuterStep(step, options.Steps, unrollSteps, options.Patience))
                    {
                        outerSteps++;
                        OuterUpdate(step + 1, outerSteps, pendingWindowSteps, trainCursor, validationCursor);
                        pendingWindowSteps = 0;
                        StartInnerProblem();
                    }
                }
                step++;

                // A position is only a valid resume point when no window is pending (its steps are not yet taken).
                if (pendingWindowSteps == 0)
                {
                    bool checkpointNow = position.OuterSteps != outerSteps && outerSteps % options.CheckpointInterval == 0;
                    position = new RunPosition(step, outerSteps, trainCursor.Consumed, validationCursor.Consumed, outerLosses);
                    if (checkpointNow) Save(position);
                }
            }

            Save(position);
            return new BilevelRunResult(step, outerSteps, outerLosses.ToArray(), resumedFrom);
        }

        /// <summary>Frees the per-run copies kept to undo a diverging step.</summary>
        public void Dispose()
        {
            innerGuard.Dispose();
            outerGuard.Dispose();
        }

        /// <summary>
        /// Meta-learning: the next inner problem (task) starts from the meta-initialization, with a fresh inner
        /// optimizer state. Without [Inner(InitializedFrom = …)] the inner variables simply continue.
        /// </summary>
        private void StartInnerProblem()
        {
            if (problem.Initialization is not { } initialization) return;
            initialization.Reset();
            if (innerState is not null)
                using (NewDisposeScope()) innerState.CopyFrom(options.InnerOptimizer!.Init(innerTensors));
        }

        /// <summary>Iterative methods: true when step <paramref name="step"/> belongs to the window of a coming outer step.</summary>
        private bool InWindow(int step)
        {
            int outerStep = (step + unrollSteps - 1) / unrollSteps * unrollSteps;
            return IsOuterStep(outerStep, options.Steps, unrollSteps, options.Patience);
        }

        private RunPosition Resume(BatchCursor<TInnerBatch> trainCursor, BatchCursor<TOuterBatch> validationCursor)
        {
            if (options.CheckpointPath is not { } path || !File.Exists(path))
                return new RunPosition(0, 0, 0, 0, Array.Empty<double>());
            var position = CheckpointFile.Read(path, problem.Name, problem.InnerVariables, problem.OuterVariables, innerState, outerOptimizer,
                reader => problem.ReadSolverState(reader, path));
            trainCursor.Skip(position.TrainConsumed);
            validationCursor.Skip(position.ValidationConsumed);
            outerLosses.AddRange(position.OuterLosses);
            return position;
        }

        private void Save(RunPosition position)
        {
            if (options.CheckpointPath is { } path)
                CheckpointFile.Write(path, problem.Name, position, problem.InnerVariables, problem.OuterVariables, innerState, outerOptimizer,
                    problem.WriteSolverState);
        }

        /// <summary>One inner step, not differentiated: the user's [InnerStep], or the inner optimizer in place.</summary>
        private void InnerUpdate(TInnerBatch batch, int step)
        {
            using var scope = NewDisposeScope();
            if (problem.InnerStep is { } userStep)
            {
                userStep.Take(batch);
                return;
            }
            var loss = problem.InnerObjective.Evaluate(batch);
            lastInnerLoss = loss.ToDouble();
            if (!double.IsFinite(lastInnerLoss))
                throw new HypergradException(
                    $"{problem.Name}: the inner objective {problem.InnerObjective.Name} is {lastInnerLoss} at inner step {step}: the inner optimization diverged " +
                    "(or the batch holds NaN). Lower the inner optimizer's learning rate; the checkpoint, if any, keeps the last good state.");
            var gradients = Gradients.Of(loss, $"inner objective {problem.InnerObjective.Name}", innerTensors, innerNames);
            innerGuard.Remember();
            options.InnerOptimizer!.StepInPlace(innerTensors, gradients, innerState!);
            innerGuard.UndoIfNotFinite($"inner step {step} on {problem.InnerObjective.Name}");
        }

        private void OuterUpdate(int step, int outerStep, int windowSteps, BatchCursor<TInnerBatch> trainCursor, BatchCursor<TOuterBatch> validationCursor)
        {
            outerOptimizer.ZeroGrad(problem.OuterVariables);
            HypergradientResult result;
            double outerLoss;
            if (problem.Settings.IsIterative)
            {
                // The window's inner steps, one training batch each (drawn here, in this step's dispose scope, so they
                // live through the whole unroll), differentiated through; the inner variables end at the final iterate.
                // Meta-learning: the unroll starts from the meta-initialization (its gradient goes to it).
                var innerBatches = new TInnerBatch[windowSteps];
                for (int t = 0; t < windowSteps; t++) innerBatches[t] = trainCursor.Next();
                var outerBatch = validationCursor.Next();
                problem.Initialization?.Reset();
                result = problem.ComputeUnrolled(t => innerBatches[t], outerBatch, options.InnerOptimizer!, windowSteps);
                using (no_grad())
                {
                    lastInnerLoss = problem.InnerObjective.Evaluate(innerBatches[^1]).ToDouble();
                    outerLoss = problem.OuterObjective.Evaluate(outerBatch).ToDouble();
                }
            }
            else
            {
                var innerBatch = trainCursor.Next();
                var outerBatch = validationCursor.Next();
                using (no_grad())
                {
                    outerLoss = problem.OuterObjective.Evaluate(outerBatch).ToDouble();
                    // A user's [InnerStep] reports no loss: evaluate g for the progress report.
                    if (problem.InnerStep is not null) lastInnerLoss = problem.InnerObjective.Evaluate(innerBatch).ToDouble();
                }
                result = problem.ComputeHypergradient(innerBatch, outerBatch);
            }
            outerGuard.Remember();
            outerOptimizer.Step(problem.OuterVariables);
            outerGuard.UndoIfNotFinite($"outer step {outerStep}");
            outerLosses.Add(outerLoss);

            var report = new BilevelProgress(step, options.Steps, outerStep, lastInnerLoss, outerLoss, result.Iterations,
                result.RelativeResidual, result.HessianVectorProducts, result.Converged, clock.Elapsed);
            options.AfterOuterStep?.Invoke(report);
            progress?.Report(report);
        }
    }
}
