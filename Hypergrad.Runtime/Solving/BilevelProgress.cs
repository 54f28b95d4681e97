using System;

namespace Hypergrad.Solving;

/// <summary>A report after an outer step of <see cref="BilevelSolver.Run{TInnerBatch, TOuterBatch}"/>.</summary>
/// <param name="Step">Inner steps done so far.</param>
/// <param name="TotalSteps">Inner steps the run will take (<see cref="BilevelOptions.Steps"/>).</param>
/// <param name="OuterStep">Outer steps done so far.</param>
/// <param name="InnerLoss">The inner objective on the last inner batch, before its step.</param>
/// <param name="OuterLoss">The outer objective on the outer batch, before the outer step.</param>
/// <param name="Iterations">Iterations of the hypergradient computation (solve iterations or differentiated steps).</param>
/// <param name="RelativeResidual">Final relative residual of the linear solve; NaN for methods without one.</param>
/// <param name="HessianVectorProducts">Hessian-vector products the hypergradient used.</param>
/// <param name="Converged">Whether the hypergradient met its tolerance (false: it is a truncated approximation).</param>
/// <param name="Elapsed">Wall time since the run (or its resumption) started.</param>
/// <remarks>
/// For a <c>[FixedPointMap]</c> problem (<see cref="FixedPointSolver"/>) every step is an outer step, <see cref="InnerLoss"/>
/// is NaN (there is no inner objective) and the equilibrium solve is reported in <see cref="EquilibriumIterations"/> and
/// <see cref="EquilibriumResidual"/>.
/// </remarks>
public sealed record BilevelProgress(
    int Step,
    int TotalSteps,
    int OuterStep,
    double InnerLoss,
    double OuterLoss,
    int Iterations,
    double RelativeResidual,
    int HessianVectorProducts,
    bool Converged,
    TimeSpan Elapsed)
{
    /// <summary>The warnings of this step's hypergradient (<see cref="HypergradientResult.Warnings"/>); empty when none.</summary>
    public System.Collections.Generic.IReadOnlyList<string> Warnings { get; init; } = Array.Empty<string>();

    /// <summary>[FixedPointMap] problems: iterations of this step's equilibrium solve; 0 otherwise.</summary>
    public int EquilibriumIterations { get; init; }

    /// <summary>[FixedPointMap] problems: its final ‖Φ(z) − z‖ / ‖Φ(z)‖; NaN otherwise.</summary>
    public double EquilibriumResidual { get; init; } = double.NaN;
}
