namespace Hypergrad;

/// <summary>What a <see cref="HypergradientResult"/>'s number is a derivative of (docs/methods.md, "Certificates").</summary>
public enum HypergradientKind
{
    /// <summary>
    /// The implicit hypergradient dF/dλ = ∇_λF − (∂²_{λw}g)·(∇²_w g)⁻¹∇_wF at the inner variables where it was evaluated:
    /// exact at an inner solution, up to the linear solve's residual (implicit methods, CG/NS in a composition, DM).
    /// </summary>
    Implicit,

    /// <summary>
    /// The exact derivative of F after the differentiated inner steps (ReverseUnroll, ReverseRecompute, InitializationUnroll,
    /// DynamicInitialization): exact for that T-step procedure whatever T; it approximates the implicit hypergradient only as
    /// far as the final iterate is an inner solution (<see cref="HypergradientResult.InnerStationarity"/>).
    /// </summary>
    ExactForUnrolledSteps,

    /// <summary>An approximation by design (FirstOrder, FiniteDifference, GradientAlignment, TruncatedUnroll, PTT);
    /// <see cref="HypergradientResult.Approximation"/> says what it leaves out.</summary>
    Approximation,

    /// <summary>
    /// A single-loop method's running estimate ∇_λF − (∂²_{λw}g)·z of the implicit hypergradient (SOBA, SABA, MA-SOBA, AmIGO,
    /// StocBiO), on one step's minibatches: z is the method's current estimate of H⁻¹∇_wF, so the number is the implicit
    /// hypergradient only as far as <see cref="HypergradientResult.RelativeResidual"/> (‖Hz − ∇_wF‖/‖∇_wF‖ on the step's batch)
    /// and <see cref="HypergradientResult.InnerStationarity"/> are small.
    /// </summary>
    Estimate,
}
