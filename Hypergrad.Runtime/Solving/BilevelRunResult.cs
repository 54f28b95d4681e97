using System.Collections.Generic;

namespace Hypergrad.Solving;

/// <summary>What a run did. The trained values are in the problem's variables themselves.</summary>
/// <param name="Steps">Inner steps done (equals <see cref="BilevelOptions.Steps"/> for a finished run).</param>
/// <param name="OuterSteps">Outer steps done.</param>
/// <param name="OuterLosses">The outer objective before each outer step, in order (across resumptions).</param>
/// <param name="ResumedFromStep">The step a checkpoint resumed the run at, or 0 for a fresh run.</param>
/// <remarks>
/// The certificate summary (<see cref="OuterStepsNotConverged"/>, <see cref="WorstRelativeResidual"/>,
/// <see cref="HessianVectorProducts"/>, <see cref="Warnings"/>) covers every outer step of the run, across resumptions (the checkpoint carries it), so a
/// run that looks fine from its losses still says when its hypergradients were approximate.
/// </remarks>
public sealed record BilevelRunResult(int Steps, int OuterSteps, IReadOnlyList<double> OuterLosses, int ResumedFromStep)
{
    /// <summary>Outer steps whose hypergradient did not meet its tolerance (<see cref="HypergradientResult.Converged"/> false).</summary>
    public int OuterStepsNotConverged { get; init; }

    /// <summary>The largest relative residual of any outer step's linear solve; NaN when no step had one (unrolled methods).</summary>
    public double WorstRelativeResidual { get; init; } = double.NaN;

    /// <summary>
    /// Hessian-vector (or Jacobian-vector) products of every outer step's hypergradient, summed (each step's
    /// <see cref="HypergradientResult.HessianVectorProducts"/>: a Nyström sketch's products are in the step that built it).
    /// </summary>
    public long HessianVectorProducts { get; init; }

    /// <summary>Every kind of warning the outer steps raised, with how often and where it first appeared; empty when none.</summary>
    public IReadOnlyList<RunWarning> Warnings { get; init; } = System.Array.Empty<RunWarning>();

    /// <summary>True when every outer step converged and raised no warning.</summary>
    public bool Clean => OuterStepsNotConverged == 0 && Warnings.Count == 0;
}

/// <summary>One kind of warning raised during a run (warnings that differ only in their numbers are one kind).</summary>
/// <param name="Kind">The warning with its numbers replaced by '#'.</param>
/// <param name="Count">Outer steps that raised it.</param>
/// <param name="FirstOuterStep">The first outer step that raised it.</param>
/// <param name="FirstMessage">The warning as that first step raised it.</param>
public sealed record RunWarning(string Kind, int Count, int FirstOuterStep, string FirstMessage);
