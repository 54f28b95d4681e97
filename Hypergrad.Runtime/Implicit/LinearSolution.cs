using static TorchSharp.torch;

namespace Hypergrad.Implicit;

/// <summary>What an <see cref="ImplicitSolver"/> returns: the solution and its certificate.</summary>
/// <param name="X">The (approximate) solution, a flat vector laid out like the inner set.</param>
/// <param name="Iterations">Iterations performed (1 for direct methods).</param>
/// <param name="RelativeResidual">Final ‖Ax − v‖/‖v‖ of the system the method solves (with its damping).</param>
/// <param name="Converged">Whether the tolerance was met (direct methods: whether the residual is small).</param>
/// <param name="Warning">Why the solve stopped early or is unreliable, if it did or is.</param>
/// <param name="Step">The step α (or learning rate) the method used, when it has one: the given one or the automatic 1/λ̂_max.</param>
public sealed record LinearSolution(Tensor X, int Iterations, double RelativeResidual, bool Converged, string? Warning = null, double? Step = null);
