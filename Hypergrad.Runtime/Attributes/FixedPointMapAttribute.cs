using System;

namespace Hypergrad;

/// <summary>
/// Marks the fixed-point map Φ(z; θ, batch) of an equilibrium problem (a deep equilibrium model, or any problem
/// whose inner state is defined by z* = Φ(z*)), in place of an <see cref="InnerObjectiveAttribute"/>. Two forms:
/// <list type="bullet">
/// <item><c>Tensor Map(Tensor z, &lt;batch parameters&gt;)</c>: returns Φ(z), shaped like z;</item>
/// <item><c>Func&lt;Tensor, Tensor&gt; Map(&lt;batch parameters&gt;)</c>: returns the map for one batch, so that what
/// does not depend on z (an input injection, a normalised weight) is computed once per batch, not once per iteration.</item>
/// </list>
/// The class's single <c>[Inner]</c> Tensor is the equilibrium state z; it belongs to the batch: before every
/// hypergradient it is found again by iterating z ← Φ(z) without a graph (from zero, or from its current value
/// with <c>EquilibriumWarmStart</c>) to <c>EquilibriumTolerance</c>. The <c>[Outer]</c> members are the trained
/// parameters θ, and the <c>[OuterObjective]</c> takes the same batch parameters and reads the loss at the
/// equilibrium. Hypergradients solve (I − Jᵀ) x = ∇_z F with J = ∂Φ/∂z, which is not symmetric: use
/// <c>Method.FixedPoint</c>, <c>ConjugateGradientNormal</c>, <c>Neumann</c> or <c>Exact</c> (HG0020 otherwise).
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class FixedPointMapAttribute : Attribute
{
}
