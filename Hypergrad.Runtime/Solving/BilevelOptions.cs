using System;
using Hypergrad.Optimizers;

namespace Hypergrad.Solving;

/// <summary>How <c>Run</c> solves a bilevel problem (hypergrad's <c>Solver</c> arguments).</summary>
public sealed class BilevelOptions
{
    /// <summary>Default <see cref="UnrollSteps"/> when neither the options nor the attribute set it.</summary>
    public const int DefaultUnrollSteps = 10;

    /// <summary>Number of inner steps N (one training batch each). Default 1000.</summary>
    public int Steps { get; set; } = 1000;

    /// <summary>
    /// Inner steps between two outer steps; for unrolled methods, the length of the trajectory differentiated
    /// through. Null: the <c>[Hypergradient]</c> attribute's <c>UnrollSteps</c>, else <see cref="DefaultUnrollSteps"/>.
    /// </summary>
    public int? UnrollSteps { get; set; }

    /// <summary>Inner steps before the first outer step (hypergrad's <c>outer_patience_iters</c>). Default 0.</summary>
    public int Patience { get; set; }

    /// <summary>
    /// The inner optimizer, a differentiable optimizer of <c>Hypergrad.Optimizers</c> (unrolled methods step
    /// through it). Required unless the class has an <c>[InnerStep]</c> method.
    /// </summary>
    public DifferentiableOptimizer? InnerOptimizer { get; set; }

    /// <summary>The optimizer of the outer variables: any <c>torch.optim</c> optimizer over them, or a differentiable one.</summary>
    public OuterOptimizer? OuterOptimizer { get; set; }

    /// <summary>
    /// A file to checkpoint to. When it exists at the start, the run resumes from it (the data sources must yield
    /// the same sequences again), also to extend a finished run to more <see cref="Steps"/>. It is rewritten every
    /// <see cref="CheckpointInterval"/> outer steps, at the end and on cancellation; after a failure it still holds
    /// the last good state. Delete it to start afresh.
    /// </summary>
    public string? CheckpointPath { get; set; }

    /// <summary>Outer steps between two checkpoints. Default 1.</summary>
    public int CheckpointInterval { get; set; } = 1;

    /// <summary>
    /// Resume from a checkpoint written under other settings (method options, unroll steps, patience, optimizers'
    /// hyperparameters) on purpose. Default false: such a resume is refused with the list of differences.
    /// </summary>
    public bool AllowSettingsChange { get; set; }

    /// <summary>Default <see cref="DivergenceFactor"/>.</summary>
    public const double DefaultDivergenceFactor = 1e4;

    /// <summary>
    /// How far a loss may move before the run is stopped as diverged: when the inner objective differs from its value at
    /// the start of the current window (the inner steps since the last outer step), or the outer objective from its value
    /// at the previous outer step, by more than this factor times the larger of that value's magnitude and the run's first
    /// value of the same objective. The step that caused it is undone and the message names the optimizer to blame.
    /// An equilibrium (<c>[FixedPointMap]</c>) run checks its outer objective from one step to the next the same way.
    /// Default <see cref="DefaultDivergenceFactor"/>; <c>double.PositiveInfinity</c> turns the check off (NaN and ±Inf
    /// still stop the run).
    /// </summary>
    public double DivergenceFactor { get; set; } = DefaultDivergenceFactor;

    /// <summary>Called after every outer step (hypergrad's <c>post_outer_update</c>), e.g. to clamp outer variables.</summary>
    public Action<BilevelProgress>? AfterOuterStep { get; set; }

    /// <summary>The unroll length for a problem whose attribute sets <paramref name="attributeDefault"/>.</summary>
    internal int ResolveUnrollSteps(int? attributeDefault) => UnrollSteps ?? attributeDefault ?? DefaultUnrollSteps;

    /// <summary>Throws a <see cref="HypergradException"/> naming the first invalid option.</summary>
    internal void Validate(HypergradientSettings settings, bool hasInnerStep)
    {
        if (Steps <= 0) throw new HypergradException($"BilevelOptions.Steps is {Steps}; set it to the number of inner steps (positive).");
        int unroll = ResolveUnrollSteps(settings.UnrollSteps);
        if (unroll <= 0) throw new HypergradException($"BilevelOptions.UnrollSteps is {unroll}; set it to the number of inner steps between outer steps (positive).");
        if (Patience < 0) throw new HypergradException($"BilevelOptions.Patience is {Patience}; set it to zero or a positive number of inner steps.");
        if (CheckpointInterval <= 0) throw new HypergradException($"BilevelOptions.CheckpointInterval is {CheckpointInterval}; set it to a positive number of outer steps.");
        if (OuterOptimizer is null) throw new HypergradException("BilevelOptions.OuterOptimizer is not set; set it to a torch.optim optimizer over the outer variables or a Hypergrad.Optimizers optimizer.");
        ValidateDivergenceFactor();
        if (InnerOptimizer is null && !hasInnerStep)
            throw new HypergradException("BilevelOptions.InnerOptimizer is not set; set it to a Hypergrad.Optimizers optimizer (e.g. new DifferentiableSgd(0.1)), or add an [InnerStep] method to the class.");
        if (settings.Operations is not { Count: > 0 } && OptionRules.Truncation.AppliesTo(new OptionContext(settings.Method, null, fixedPointMap: false))
            && OptionRules.WhyTruncationInvalid(settings.Truncation, unroll) is { } truncation)
            throw new HypergradException($"{OptionRules.TruncationMessage(settings.Truncation, truncation)} (UnrollSteps = {unroll} in this run).");
    }

    /// <summary>
    /// Throws a <see cref="HypergradException"/> naming the first option that is invalid or does not apply to a
    /// [FixedPointMap] problem (<see cref="FixedPointSolver"/>): its state is found by iterating the map, and every step
    /// is an outer step.
    /// </summary>
    internal void ValidateForFixedPointMap(string problem, string map)
    {
        if (Steps <= 0) throw new HypergradException($"BilevelOptions.Steps is {Steps}; set it to the number of training steps (batches, positive).");
        if (OuterOptimizer is null) throw new HypergradException("BilevelOptions.OuterOptimizer is not set; set it to a torch.optim optimizer over the outer variables (e.g. torch.optim.Adam(model.parameters(), 1e-3)) or a Hypergrad.Optimizers optimizer.");
        string why = $"{problem} finds its equilibrium state by iterating its fixed-point map {map}, and every step is an outer step";
        if (InnerOptimizer is not null) throw new HypergradException($"BilevelOptions.InnerOptimizer is set, but {why}; remove it.");
        if (UnrollSteps is not null) throw new HypergradException($"BilevelOptions.UnrollSteps is set, but {why}; remove it (the equilibrium solve is set by EquilibriumIterations and EquilibriumTolerance).");
        if (Patience != 0) throw new HypergradException($"BilevelOptions.Patience is {Patience}, but {why}; remove it.");
        if (CheckpointInterval <= 0) throw new HypergradException($"BilevelOptions.CheckpointInterval is {CheckpointInterval}; set it to a positive number of steps.");
        ValidateDivergenceFactor();
    }

    /// <summary>
    /// Throws a <see cref="HypergradException"/> naming the first option that is invalid or does not apply to a joint
    /// (single-loop or Hessian-free) method, whose every step is an outer step.
    /// </summary>
    internal void ValidateForJointMethod(Method method)
    {
        string why = $"Method.{method} steps the inner variables, its own state and the outer variables together (every step is an outer step)";
        if (Steps <= 0) throw new HypergradException($"BilevelOptions.Steps is {Steps}; set it to the number of iterations of Method.{method} (positive).");
        if (OuterOptimizer is null) throw new HypergradException("BilevelOptions.OuterOptimizer is not set; set it to a torch.optim optimizer over the outer variables (e.g. torch.optim.SGD(new[] { problem.Lambda }, 0.01)) or a Hypergrad.Optimizers optimizer.");
        if (InnerOptimizer is null) throw new HypergradException($"BilevelOptions.InnerOptimizer is not set; {why}: set it to a Hypergrad.Optimizers optimizer (e.g. new DifferentiableSgd(0.1)).");
        if (UnrollSteps is not null) throw new HypergradException($"BilevelOptions.UnrollSteps is set, but {why}; remove it (Amigo, StocBio, F2sa, Bome and Pgdm take InnerSteps inner steps per iteration).");
        if (Patience != 0) throw new HypergradException($"BilevelOptions.Patience is {Patience}, but {why}; remove it.");
        if (CheckpointInterval <= 0) throw new HypergradException($"BilevelOptions.CheckpointInterval is {CheckpointInterval}; set it to a positive number of iterations.");
        ValidateDivergenceFactor();
    }

    private void ValidateDivergenceFactor()
    {
        if (!(DivergenceFactor > 0))
            throw new HypergradException($"BilevelOptions.DivergenceFactor is {DivergenceFactor}; set it to a positive factor (default {DefaultDivergenceFactor}), or double.PositiveInfinity to stop only at NaN or ±Inf.");
    }
}
