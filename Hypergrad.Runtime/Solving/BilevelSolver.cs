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
/// Hessian) and one validation batch, as hypergrad's <c>outer_update</c> does. Unrolled methods differentiate
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
        using var exclusive = problem.Enter(nameof(Run));
        if (problem.Settings.IsJoint) return SingleLoop.JointSolver.Run(problem, train, validation, options, progress, cancellationToken);
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
        private readonly RunSummary summary = new();
        private readonly SettingsFingerprint settings;
        private readonly DataCheck trainingData;
        private readonly DataCheck validationData;

        // Divergence: the losses each check compares with, and the steps a blame is put on.
        private double firstInnerLoss = double.NaN;
        private double firstOuterLoss = double.NaN;
        private double innerWindowStart = double.NaN;
        private double innerLossBeforeOuterStep = double.NaN;
        private int innerStepsInWindow;
        private int outerStepsThisRun;
        private int outerStepsTotal;
        private readonly DivergenceCheck divergence;

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
            outerOptimizer = options.OuterOptimizer!;
            outerOptimizer.CheckHolds(problem.OuterVariables, problem.Name);
            if (options.CheckpointPath is { } path) CheckpointFile.CheckWritable(path);
            // Before the optimizers' state exists: the fingerprint is of the settings as the user built them.
            settings = SettingsFingerprint.Of(problem.Settings, options, unrollSteps);
            // Optimizer state lives for the whole run: created outside every per-step dispose scope.
            innerState = options.InnerOptimizer?.Init(innerTensors);
            outerOptimizer.Bind(problem.OuterVariables);
            innerGuard = new StepGuard(problem.Name, problem.InnerVariables, InnerFix);
            outerGuard = new StepGuard(problem.Name, problem.OuterVariables, OuterFix);
            divergence = new DivergenceCheck(options.DivergenceFactor);
            trainingData = new DataCheck(problem.Name, "training");
            validationData = new DataCheck(problem.Name, "validation");
            skipStepsOutsideWindows = problem.Settings.IsUnrolled && problem.Initialization is not null;
        }

        private const string InnerFix = "Lower the inner optimizer's learning rate (BilevelOptions.InnerOptimizer).";
        private const string OuterFix =
            "Lower the outer optimizer's learning rate (BilevelOptions.OuterOptimizer), bound the outer variables ([Outer(Min = …, Max = …)]), " +
            "or make the hypergradient more accurate (more Iterations, a larger Rho for Nystrom).";

        public BilevelRunResult Execute(CancellationToken cancellationToken)
        {
            using var trainCursor = new BatchCursor<TInnerBatch>(train, "training");
            using var validationCursor = new BatchCursor<TOuterBatch>(validation, "validation");
            var position = Resume(trainCursor, validationCursor);
            int resumedFrom = position.Step;
            // The position the checkpoint file holds (null: none written by this run or read at its start).
            RunPosition? saved = resumedFrom > 0 || position.OuterSteps > 0 ? position : null;
            void SaveIfNew()
            {
                if (saved is null || saved.Step != position.Step || saved.OuterSteps != position.OuterSteps) Save(position);
                saved = position;
            }
            if (position.Step == 0) StartInnerProblem();
            int step = position.Step, outerSteps = position.OuterSteps;

            // Unrolled methods: the inner steps after the last outer step are ordinary steps here but would belong to
            // a window of a longer run. The resume point stays at the last outer step (saved before those steps), so
            // that extending this run to more Steps replays them as the longer run takes them: bitwise the same run.
            bool resumePointFrozen = false;

            int pendingWindowSteps = 0;
            while (step < options.Steps)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    SaveIfNew();
                    cancellationToken.ThrowIfCancellationRequested();
                }
                if (!resumePointFrozen && pendingWindowSteps == 0 && InWindowOfALongerRun(step))
                {
                    resumePointFrozen = true;
                    SaveIfNew();
                }

                // Batches belong to the dispose scope open when they are drawn: one scope per step.
                using (NewDisposeScope())
                {
                    if (problem.Settings.IsUnrolled && InWindow(step)) pendingWindowSteps++;   // taken by the outer step's unroll
                    else if (!skipStepsOutsideWindows) InnerUpdate(NextTraining(trainCursor), step);

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
                if (pendingWindowSteps == 0 && !resumePointFrozen)
                {
                    bool checkpointNow = position.OuterSteps != outerSteps && outerSteps % options.CheckpointInterval == 0;
                    position = new RunPosition(step, outerSteps, trainCursor.Consumed, validationCursor.Consumed, outerLosses);
                    if (checkpointNow) SaveIfNew();
                }
            }

            SaveIfNew();
            return summary.Complete(new BilevelRunResult(step, outerSteps, outerLosses.ToArray(), resumedFrom));
        }

        /// <summary>
        /// Unrolled methods: true when inner step <paramref name="step"/> is outside every window of this run (it
        /// follows the last outer step) but inside one of a run with more Steps.
        /// </summary>
        private bool InWindowOfALongerRun(int step)
        {
            if (!problem.Settings.IsUnrolled) return false;
            int outerStep = (step + unrollSteps - 1) / unrollSteps * unrollSteps;
            return outerStep > 0 && outerStep >= options.Patience && outerStep >= options.Steps;
        }

        private TInnerBatch NextTraining(BatchCursor<TInnerBatch> cursor) => trainingData.Check(cursor.Next(), cursor.Consumed - 1);

        private TOuterBatch NextValidation(BatchCursor<TOuterBatch> cursor) => validationData.Check(cursor.Next(), cursor.Consumed - 1);

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

        /// <summary>Unrolled methods: true when step <paramref name="step"/> belongs to the window of a coming outer step.</summary>
        private bool InWindow(int step)
        {
            int outerStep = (step + unrollSteps - 1) / unrollSteps * unrollSteps;
            return IsOuterStep(outerStep, options.Steps, unrollSteps, options.Patience);
        }

        private RunPosition Resume(BatchCursor<TInnerBatch> trainCursor, BatchCursor<TOuterBatch> validationCursor)
        {
            if (options.CheckpointPath is not { } path || !File.Exists(path))
                return new RunPosition(0, 0, 0, 0, Array.Empty<double>());
            var position = CheckpointFile.Read(path, problem.Name, settings, options.AllowSettingsChange, summary,
                problem.InnerVariables, problem.OuterVariables, innerState, outerOptimizer,
                reader => problem.ReadSolverState(reader, path));
            trainCursor.Skip(position.TrainConsumed);
            validationCursor.Skip(position.ValidationConsumed);
            outerLosses.AddRange(position.OuterLosses);
            return position;
        }

        private void Save(RunPosition position)
        {
            if (options.CheckpointPath is { } path)
                CheckpointFile.Write(path, problem.Name, position, settings, summary, problem.InnerVariables, problem.OuterVariables, innerState, outerOptimizer,
                    problem.WriteSolverState);
        }

        /// <summary>One inner step, not differentiated: the user's [InnerStep], or the inner optimizer in place.</summary>
        private void InnerUpdate(TInnerBatch batch, int step)
        {
            using var scope = NewDisposeScope();
            if (problem.InnerStep is { } userStep)
            {
                userStep.Take(batch);
                innerStepsInWindow++;
                return;
            }
            var loss = problem.InnerObjective.Evaluate(batch);
            lastInnerLoss = loss.ToDouble();
            CheckInnerLoss(lastInnerLoss, step);
            var gradients = Gradients.Of(loss, $"inner objective {problem.InnerObjective.Name}", innerTensors, innerNames);
            innerGuard.Remember();
            options.InnerOptimizer!.StepInPlace(innerTensors, gradients, innerState!);
            innerStepsInWindow++;
            innerGuard.UndoIfNotFinite($"inner step {step} on {problem.InnerObjective.Name}");
        }

        /// <summary>
        /// Stops the run when the inner objective is not finite or grew past <see cref="BilevelOptions.DivergenceFactor"/>
        /// and blames the step that did it: right after an outer step, the outer one (only λ changed since the last
        /// inner loss); otherwise the last inner step. That step is undone.
        /// </summary>
        private void CheckInnerLoss(double loss, int step)
        {
            string objective = $"the inner objective {problem.InnerObjective.Name}";
            if (innerStepsInWindow == 0 && outerStepsThisRun > 0)
            {
                // The first inner loss since outer step k: compared with the last one before it.
                if (divergence.Diverged(loss, innerLossBeforeOuterStep, firstInnerLoss))
                {
                    outerGuard.Undo();
                    throw new HypergradException(
                        $"{problem.Name}: outer step {outerStepsTotal} diverged: it moved the outer variables so that {objective} went from " +
                        $"{innerLossBeforeOuterStep:G6} to {loss:G6} (at inner step {step}, before any inner step since). " +
                        $"The outer variables are restored to their values before that step (the outer optimizer's own state is not). {OuterFix} " +
                        divergence.Note);
                }
                innerWindowStart = loss;
                return;
            }
            if (double.IsNaN(firstInnerLoss))
            {
                if (!double.IsFinite(loss))
                    throw new HypergradException(
                        $"{problem.Name}: {objective} is {loss} at the run's first inner step {step}, at the initial values of the variables; " +
                        "check the initial values and the objective (the data are finite).");
                firstInnerLoss = innerWindowStart = loss;
                return;
            }
            if (double.IsNaN(innerWindowStart)) innerWindowStart = loss;
            if (divergence.Diverged(loss, innerWindowStart, firstInnerLoss))
            {
                innerGuard.Undo();
                throw new HypergradException(
                    $"{problem.Name}: the inner optimizer diverged: {objective} went from {innerWindowStart:G6} at the start of this window to {loss:G6} " +
                    $"at inner step {step}. The last inner step is undone. {InnerFix} {divergence.Note}");
            }
        }

        private void OuterUpdate(int step, int outerStep, int windowSteps, BatchCursor<TInnerBatch> trainCursor, BatchCursor<TOuterBatch> validationCursor)
        {
            outerOptimizer.ZeroGrad(problem.OuterVariables);
            HypergradientResult result;
            double outerLoss;
            if (problem.Settings.IsUnrolled)
            {
                // The window's inner steps, one training batch each (drawn here, in this step's dispose scope, so they
                // live through the whole unroll), differentiated through; the inner variables end at the final iterate.
                // Meta-learning: the unroll starts from the meta-initialization (its gradient goes to it).
                var innerBatches = new TInnerBatch[windowSteps];
                for (int t = 0; t < windowSteps; t++) innerBatches[t] = NextTraining(trainCursor);
                var outerBatch = NextValidation(validationCursor);
                problem.Initialization?.Reset();
                innerGuard.Remember();   // the window's start, to undo a diverging unroll
                try
                {
                    result = problem.ComputeUnrolled(t => innerBatches[t], outerBatch, options.InnerOptimizer!, windowSteps);
                }
                catch (HypergradException error)
                {
                    // The unroll reached NaN or ±Inf: blame the outer step before it if the window's start is already off.
                    CheckUnrolledWindow(double.NaN, innerBatches[0], step, outerStep, error);
                    throw;
                }
                using (no_grad())
                {
                    lastInnerLoss = problem.InnerObjective.Evaluate(innerBatches[^1]).ToDouble();
                    outerLoss = problem.OuterObjective.Evaluate(outerBatch).ToDouble();
                }
                CheckUnrolledWindow(lastInnerLoss, innerBatches[0], step, outerStep);
            }
            else
            {
                var innerBatch = NextTraining(trainCursor);
                var outerBatch = NextValidation(validationCursor);
                // A user's [InnerStep] reports no loss: evaluate g for the progress report.
                if (problem.InnerStep is not null)
                    using (no_grad()) lastInnerLoss = problem.InnerObjective.Evaluate(innerBatch).ToDouble();
                result = problem.ComputeImplicit(innerBatch, outerBatch, out outerLoss);   // F's value as the engine computed it
            }
            CheckOuterLoss(outerLoss, outerStep);
            if (outerStep == 1) ZeroHypergradient.RefuseAtFirstStep(problem.Name, problem.OuterVariables, result);
            outerGuard.Remember();
            outerOptimizer.Step(problem.OuterVariables);
            outerGuard.UndoIfNotFinite($"outer step {outerStep}");
            problem.ApplyOuterBounds();
            outerLosses.Add(outerLoss);
            summary.Add(outerStep, result);
            outerStepsThisRun++;
            outerStepsTotal = outerStep;
            innerLossBeforeOuterStep = lastInnerLoss;
            innerStepsInWindow = 0;
            innerWindowStart = double.NaN;

            var report = new BilevelProgress(step, options.Steps, outerStep, lastInnerLoss, outerLoss, result.Iterations,
                result.RelativeResidual, result.HessianVectorProducts, result.Converged, clock.Elapsed)
            {
                Warnings = result.Warnings,
            };
            options.AfterOuterStep?.Invoke(report);
            progress?.Report(report);
        }

        /// <summary>
        /// Unrolled methods: the window's unroll diverged when its final inner loss is not finite or grew past the factor
        /// relative to the previous window's. Blame: the inner loss at the window's start (after the last outer step)
        /// against the previous window's end tells whether the outer step or the inner steps did it.
        /// </summary>
        private void CheckUnrolledWindow(double finalLoss, TInnerBatch firstBatch, int step, int outerStep, HypergradException? unrollError = null)
        {
            if (double.IsNaN(firstInnerLoss) && double.IsFinite(finalLoss)) firstInnerLoss = finalLoss;
            if (unrollError is null && !divergence.Diverged(finalLoss, innerLossBeforeOuterStep, firstInnerLoss)) return;
            innerGuard.Undo();   // back to the window's start
            if (problem.Initialization is null && outerStepsThisRun > 0)
            {
                double start;
                using (no_grad()) start = problem.InnerObjective.Evaluate(firstBatch).ToDouble();
                if (divergence.Diverged(start, innerLossBeforeOuterStep, firstInnerLoss))
                {
                    outerGuard.Undo();
                    string message =
                        $"{problem.Name}: outer step {outerStepsTotal} diverged: it moved the outer variables so that the inner objective {problem.InnerObjective.Name} " +
                        $"went from {innerLossBeforeOuterStep:G6} to {start:G6} before any inner step of the next window. The outer variables are restored to their " +
                        $"values before that step and the inner variables to the window's start (the outer optimizer's own state is not). {OuterFix} {divergence.Note}";
                    throw unrollError is null ? new HypergradException(message) : new HypergradException(message, unrollError);
                }
            }
            if (unrollError is not null) return;   // the unroll's own message names the inner optimizer
            throw new HypergradException(
                $"{problem.Name}: the inner optimizer diverged in the window of outer step {outerStep} (inner steps up to {step}): the inner objective " +
                $"{problem.InnerObjective.Name} went from {innerLossBeforeOuterStep:G6} to {finalLoss:G6}. The inner variables are restored to the window's start. " +
                $"{InnerFix} {divergence.Note}");
        }

        /// <summary>
        /// The outer objective must stay finite and not grow past the factor from one outer step to the next; if it does,
        /// the last outer step (which moved λ) is blamed and undone: the inner steps since did not diverge (checked above).
        /// </summary>
        private void CheckOuterLoss(double outerLoss, int outerStep)
        {
            // A resumed run scales by the run's first outer loss too (it is in the checkpoint), as the uninterrupted run does.
            if (double.IsNaN(firstOuterLoss) && outerLosses.Count > 0) firstOuterLoss = outerLosses[0];
            if (double.IsNaN(firstOuterLoss))
            {
                if (!double.IsFinite(outerLoss))
                    throw new HypergradException(
                        $"{problem.Name}: the outer objective {problem.OuterObjective.Name} is {outerLoss} at outer step {outerStep} before any outer step of this run; " +
                        "the inner variables or the objective produce it (the data are finite). Check the initial values and the inner optimizer's learning rate.");
                firstOuterLoss = outerLoss;
            }
            else if (outerStepsThisRun > 0 && divergence.Diverged(outerLoss, outerLosses[^1], firstOuterLoss))
            {
                outerGuard.Undo();
                throw new HypergradException(
                    $"{problem.Name}: outer step {outerStepsTotal} diverged: the outer objective {problem.OuterObjective.Name} went from {outerLosses[^1]:G6} to " +
                    $"{outerLoss:G6} by the next outer step. The outer variables are restored to their values before outer step {outerStepsTotal} (the inner " +
                    $"variables and the outer optimizer's state are not). {OuterFix} {divergence.Note}");
            }
        }
    }
}
