using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using Hypergrad.Data;
using Hypergrad.Optimizers;
using Hypergrad.Solving;
using static TorchSharp.torch;

namespace Hypergrad.SingleLoop;

/// <summary>
/// <c>Run</c> for the joint methods (single-loop and Hessian-free), which <see cref="BilevelSolver.Run{TInnerBatch, TOuterBatch}"/>
/// hands them to:
/// <code>
/// for t in 0 ..&lt; Steps:                       (every iteration is an outer step)
///     the method draws its batches, steps w (InnerOptimizer) and its own state, returns the λ direction D_t
///     λ ← OuterOptimizer step along D_t / (t + 1)^a; bounds; AfterOuterStep; progress
/// </code>
/// Checkpoints hold the position, the variables, both optimizers' state and the method's state (z, memory, copies,
/// penalty), so a resumed run ends bitwise where an uninterrupted one would. A diverging iteration is undone and named.
/// </summary>
internal static class JointSolver
{
    public static BilevelRunResult Run<TInnerBatch, TOuterBatch>(BilevelProblem<TInnerBatch, TOuterBatch> problem,
        IEnumerable<TInnerBatch> train, IEnumerable<TOuterBatch> validation, BilevelOptions options,
        IProgress<BilevelProgress>? progress, CancellationToken cancellationToken)
    {
        options.ValidateForJointMethod(problem.Settings.Method);
        using var run = new Loop<TInnerBatch, TOuterBatch>(problem, train, validation, options, progress);
        problem.JointRunActive = true;
        try
        {
            return run.Execute(cancellationToken);
        }
        finally
        {
            problem.JointRunActive = false;
        }
    }

    private sealed class Loop<TInnerBatch, TOuterBatch> : IJointRun, IDisposable
    {
        private const string Fix =
            "Lower the inner optimizer's learning rate (BilevelOptions.InnerOptimizer), the outer optimizer's (BilevelOptions.OuterOptimizer) " +
            "or the method's AuxiliaryStepSize, or schedule them down (StepExponent).";

        private readonly BilevelProblem<TInnerBatch, TOuterBatch> problem;
        private readonly BilevelOptions options;
        private readonly IProgress<BilevelProgress>? progress;
        private readonly IEnumerable<TInnerBatch> train;
        private readonly IEnumerable<TOuterBatch> validation;
        private readonly FiniteBatches<TInnerBatch>? finiteTrain;
        private readonly FiniteBatches<TOuterBatch>? finiteValidation;
        private readonly Tensor[] innerTensors;
        private readonly OptimizerState innerState;
        private readonly OuterOptimizer outerOptimizer;
        private readonly JointMethod method;
        private readonly List<double> outerLosses = new();
        private readonly RunSummary summary = new();
        private readonly SettingsFingerprint settings;
        private readonly DataCheck trainingData;
        private readonly DataCheck validationData;
        private readonly StepGuard innerGuard;
        private readonly StepGuard outerGuard;
        private readonly DivergenceCheck divergence;
        private readonly Stopwatch clock = Stopwatch.StartNew();
        private BatchCursor<TInnerBatch>? trainCursor;
        private BatchCursor<TOuterBatch>? validationCursor;

        // Divergence: the run's first losses (the scale) and the last ones seen (the reference of the next check).
        private double firstInnerLoss = double.NaN, lastInnerLoss = double.NaN;
        private double firstOuterLoss = double.NaN, lastOuterLoss = double.NaN;
        private double stepOuterLoss = double.NaN, stepInnerLoss = double.NaN;
        private bool outerStepTaken;
        private OuterConnection? connection;   // a fresh run's structural check on its first batches (null when resumed)

        public Loop(BilevelProblem<TInnerBatch, TOuterBatch> problem, IEnumerable<TInnerBatch> train, IEnumerable<TOuterBatch> validation,
            BilevelOptions options, IProgress<BilevelProgress>? progress)
        {
            this.problem = problem;
            this.train = train ?? throw new ArgumentNullException(nameof(train));
            this.validation = validation ?? throw new ArgumentNullException(nameof(validation));
            this.options = options;
            this.progress = progress;
            finiteTrain = train as FiniteBatches<TInnerBatch>;
            finiteValidation = validation as FiniteBatches<TOuterBatch>;
            if (problem.Settings.Method == Method.Saba && (finiteTrain is null || finiteValidation is null))
                throw new HypergradException(
                    $"{problem.Name}: Method.Saba keeps one memory slot per batch of a finite dataset, but the {(finiteTrain is null ? "training" : "validation")} data " +
                    "is an open-ended sequence. Declare both datasets finite: pass Hypergrad.Data.FiniteBatches (e.g. BatchSource.Partitioned(inputs, targets, batchSize)).");
            innerTensors = problem.InnerVariables.Select(v => v.Tensor).ToArray();
            outerOptimizer = options.OuterOptimizer!;
            outerOptimizer.CheckHolds(problem.OuterVariables, problem.Name);
            if (options.CheckpointPath is { } path) CheckpointFile.CheckWritable(path);
            settings = SettingsFingerprint.Of(problem.Settings, options, unrollSteps: 1);
            innerState = options.InnerOptimizer!.Init(innerTensors);
            outerOptimizer.Bind(problem.OuterVariables);
            method = JointMethods.Create(problem.Name, problem.Settings, problem.InnerVariables, problem.OuterVariables, options.InnerOptimizer,
                finiteTrain?.Count ?? 1, finiteValidation?.Count ?? 1);
            innerGuard = new StepGuard(problem.Name, problem.InnerVariables, Fix);
            outerGuard = new StepGuard(problem.Name, problem.OuterVariables, Fix);
            divergence = new DivergenceCheck(options.DivergenceFactor);
            trainingData = new DataCheck(problem.Name, "training");
            validationData = new DataCheck(problem.Name, "validation");
        }

        public void Dispose()
        {
            connection?.Dispose();
            method.Dispose();
            innerGuard.Dispose();
            outerGuard.Dispose();
        }

        public BilevelRunResult Execute(CancellationToken cancellationToken)
        {
            using var trainBatches = trainCursor = new BatchCursor<TInnerBatch>(train, "training");
            using var validationBatches = validationCursor = new BatchCursor<TOuterBatch>(validation, "validation");
            var position = Resume();
            int resumedFrom = position.Step;
            if (resumedFrom == 0)
                connection = new OuterConnection(problem.Name, problem.InnerVariables, problem.OuterVariables, problem.InnerObjective.Name, problem.OuterObjective.Name);
            RunPosition? saved = resumedFrom > 0 ? position : null;
            void SaveIfNew()
            {
                if (saved is null || saved.Step != position.Step) Save(position);
                saved = position;
            }

            int step = position.Step;
            while (step < options.Steps)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    SaveIfNew();
                    cancellationToken.ThrowIfCancellationRequested();
                }
                using (NewDisposeScope()) Iterate(step + 1);
                step++;
                position = new RunPosition(step, step, trainCursor.Consumed, validationCursor.Consumed, outerLosses);
                if (step % options.CheckpointInterval == 0) SaveIfNew();
            }
            SaveIfNew();
            return summary.Complete(new BilevelRunResult(step, step, outerLosses.ToArray(), resumedFrom));
        }

        private void Iterate(int outerStep)
        {
            outerOptimizer.ZeroGrad(problem.OuterVariables);
            stepInnerLoss = stepOuterLoss = double.NaN;
            var step = method.Iterate(this);
            using var result = step.Result;
            result.AccumulateInto(problem.OuterVariables, step.Scale);
            outerGuard.Remember();
            outerOptimizer.Step(problem.OuterVariables);
            outerGuard.UndoIfNotFinite($"outer step {outerStep} (iteration {outerStep - 1} of Method.{method.Method})");
            problem.ApplyOuterBounds();
            outerStepTaken = true;
            outerLosses.Add(stepOuterLoss);
            summary.Add(outerStep, result);
            var report = new BilevelProgress(outerStep, options.Steps, outerStep, stepInnerLoss, stepOuterLoss, result.Iterations,
                result.RelativeResidual, result.HessianVectorProducts, result.Converged, clock.Elapsed)
            {
                Warnings = result.Warnings,
            };
            options.AfterOuterStep?.Invoke(report);
            progress?.Report(report);
        }

        public JointBatch NextInner()
        {
            var cursor = trainCursor!;
            var batch = trainingData.Check(cursor.Next(), cursor.Consumed - 1);
            var objective = problem.InnerObjective.On(batch);
            connection?.CheckInner(objective);
            return new JointBatch(objective, finiteTrain?.IndexAt(cursor.Consumed - 1) ?? -1);
        }

        public JointBatch NextOuter()
        {
            var cursor = validationCursor!;
            var batch = validationData.Check(cursor.Next(), cursor.Consumed - 1);
            var objective = problem.OuterObjective.On(batch);
            connection?.CheckOuter(objective);
            return new JointBatch(objective, finiteValidation?.IndexAt(cursor.Consumed - 1) ?? -1);
        }

        public void StepInner(Tensor direction, double scale)
        {
            using var scope = NewDisposeScope();
            innerGuard.Remember();
            options.InnerOptimizer!.StepInPlace(innerTensors, problem.InnerVariables.Split(direction.Scaled(scale)), innerState);
            innerGuard.UndoIfNotFinite($"an inner step of iteration {method.Iteration} of Method.{method.Method}");
        }

        public void InnerLoss(double value)
        {
            if (double.IsNaN(stepInnerLoss)) stepInnerLoss = value;
            Check(value, ref firstInnerLoss, ref lastInnerLoss, $"the inner objective {problem.InnerObjective.Name}");
        }

        public void OuterLoss(double value)
        {
            if (double.IsNaN(stepOuterLoss)) stepOuterLoss = value;
            Check(value, ref firstOuterLoss, ref lastOuterLoss, $"the outer objective {problem.OuterObjective.Name}");
        }

        // w and λ move together, so a jump of either objective is blamed on the steps since the last value: the last inner
        // step and the last outer step are undone (the method's own state and the optimizers' state are not).
        private void Check(double value, ref double first, ref double last, string objective)
        {
            if (double.IsNaN(first))
            {
                if (!double.IsFinite(value))
                    throw new HypergradException(
                        $"{problem.Name}: {objective} is {value} at the run's first iteration, at the initial values of the variables; check the initial values and the objective (the data are finite).");
                first = last = value;
                return;
            }
            if (divergence.Diverged(value, last, first))
            {
                innerGuard.Undo();
                if (outerStepTaken) outerGuard.Undo();
                throw new HypergradException(
                    $"{problem.Name}: Method.{method.Method} diverged at iteration {method.Iteration}: {objective} went from {last:G6} to {value:G6}. " +
                    $"The last inner step{(outerStepTaken ? " and the last outer step are" : " is")} undone. {Fix} {divergence.Note}");
            }
            last = value;
        }

        private RunPosition Resume()
        {
            if (options.CheckpointPath is not { } path || !File.Exists(path))
                return new RunPosition(0, 0, 0, 0, Array.Empty<double>());
            var position = CheckpointFile.Read(path, problem.Name, settings, options.AllowSettingsChange, summary,
                problem.InnerVariables, problem.OuterVariables, innerState, outerOptimizer, ReadState);
            trainCursor!.Skip(position.TrainConsumed);
            validationCursor!.Skip(position.ValidationConsumed);
            outerLosses.AddRange(position.OuterLosses);
            outerStepTaken = position.Step > 0;
            return position;
        }

        private void Save(RunPosition position)
        {
            if (options.CheckpointPath is { } path)
                CheckpointFile.Write(path, problem.Name, position, settings, summary, problem.InnerVariables, problem.OuterVariables, innerState, outerOptimizer,
                    WriteState);
        }

        private void WriteState(BinaryWriter writer)
        {
            writer.Write((int)method.Method);
            method.Save(writer);
            writer.Write(firstInnerLoss);
            writer.Write(lastInnerLoss);
            writer.Write(firstOuterLoss);
            writer.Write(lastOuterLoss);
        }

        private void ReadState(BinaryReader reader)
        {
            var saved = (Method)reader.ReadInt32();
            if (saved != method.Method)
                throw new HypergradException($"The checkpoint '{options.CheckpointPath}' holds the state of Method.{saved}, not Method.{method.Method}; resume with the same method.");
            method.Load(reader);
            firstInnerLoss = reader.ReadDouble();
            lastInnerLoss = reader.ReadDouble();
            firstOuterLoss = reader.ReadDouble();
            lastOuterLoss = reader.ReadDouble();
        }
    }
}
