// This file is compiled into both Hypergrad.Runtime and Hypergrad.Generators/Analyzers (linked), so the runtime's
// check and the compile-time diagnostic (HG0020) apply the same rule with the same words.
namespace Hypergrad;

/// <summary>Which <see cref="Method"/>s can compute the hypergradient of a <c>[FixedPointMap]</c> problem.</summary>
internal static class FixedPointMapMethods
{
    /// <summary>
    /// Why <paramref name="method"/> cannot solve (I − Jᵀ) x = v for a general fixed-point map Φ (J = ∂Φ/∂z is not
    /// symmetric), or null when it can (FixedPoint, ConjugateGradientNormal, Neumann, Exact).
    /// </summary>
    public static string? WhyNot(Method method) =>
        MethodFamilies.IsUnrolled(method) ? "differentiates through inner optimizer steps, but a fixed-point-map problem has none (its state is found by iterating the map)" :
        MethodFamilies.IsJoint(method) ? "steps the inner variables along the inner objective's gradient, but a fixed-point-map problem has no inner objective (its state is found by iterating the map)" :
        method is Method.ConjugateGradient or Method.Nystrom or Method.OptimizerSolve or Method.NystromConjugateGradient ? "assumes a symmetric matrix, but I − Jᵀ of a fixed-point map is not symmetric" :
        null;
}
