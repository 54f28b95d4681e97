using System;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace Hypergrad.Implicit;

/// <summary>
/// A fixed point z* = Φ(z*) found by <see cref="Find"/> (the forward solve of an equilibrium problem), and how well
/// it holds.
/// </summary>
/// <param name="State">z*, shaped like the start, without a graph.</param>
/// <param name="Iterations">Applications of Φ.</param>
/// <param name="RelativeResidual">‖Φ(z) − z‖ / ‖Φ(z)‖ at the last iteration (z* = Φ(z)).</param>
/// <param name="Converged">Whether the residual met the tolerance within the iteration budget.</param>
public sealed record Equilibrium(Tensor State, int Iterations, double RelativeResidual, bool Converged)
{
    /// <summary>
    /// Iterates z ← Φ(z) from <paramref name="start"/> without building a graph until ‖Φ(z) − z‖ ≤
    /// <paramref name="tolerance"/>·‖Φ(z)‖ or <paramref name="maxIterations"/> applications; converges when Φ is a
    /// contraction in z. The gradient through z* comes from the implicit function theorem
    /// (<see cref="ImplicitHypergradient.ComputeWithFixedPointMap"/>), not from these iterations, so memory does not
    /// grow with their number. <paramref name="start"/> is not modified; the returned state is a new tensor.
    /// </summary>
    /// <param name="map">Φ, taking and returning a state shaped like <paramref name="start"/>.</param>
    /// <param name="start">z₀ (zeros, or a previous equilibrium to warm-start from).</param>
    /// <param name="maxIterations">Most applications of Φ (positive).</param>
    /// <param name="tolerance">Relative residual to stop at (positive).</param>
    /// <param name="mapName">The map's name, for errors.</param>
    public static Equilibrium Find(Func<Tensor, Tensor> map, Tensor start, int maxIterations, double tolerance, string mapName = "fixed-point map")
    {
        ArgumentNullException.ThrowIfNull(map);
        ArgumentNullException.ThrowIfNull(start);
        if (maxIterations <= 0) throw new HypergradException($"The equilibrium solve of {mapName} needs at least one iteration (got {maxIterations}); set EquilibriumIterations to a positive number.");
        if (!(tolerance > 0)) throw new HypergradException($"The equilibrium solve of {mapName} needs a positive tolerance (got {tolerance}); set EquilibriumTolerance to a positive number.");

        using var noGrad = no_grad();
        var state = start;
        double residual = double.PositiveInfinity;
        int iteration = 0;
        while (iteration < maxIterations)
        {
            Tensor next;
            // One scope per iteration: the map's intermediates go at once, the footprint stays flat.
            using (var scope = NewDisposeScope())
            {
                next = CheckOutput(Apply(map, state, mapName), start, mapName);
                residual = (next - state).norm().ToDouble() / Math.Max(next.norm().ToDouble(), 1e-12);
                next = next.MoveToOuterDisposeScope();
            }
            iteration++;
            if (!ReferenceEquals(state, start)) state.Dispose();
            state = next;
            if (!double.IsFinite(residual))
                throw Diverged(
                    $"The equilibrium solve of {mapName} produced a non-finite residual at iteration {iteration}: the iteration z ← Φ(z) diverged " +
                    "(or the batch holds NaN). Make the map a contraction in z (e.g. bound the norm of its recurrent weight below 1).");
            if (residual <= tolerance) break;
        }
        return new Equilibrium(state, iteration, residual, residual <= tolerance);
    }

    // TorchSharp reports a shape mismatch inside the map (typically a batch of another size than the state) as a bare
    // native error: say which map, which state, and the likely cause.
    static Tensor Apply(Func<Tensor, Tensor> map, Tensor state, string mapName)
    {
        try
        {
            return map(state);
        }
        catch (Exception e) when (e is not HypergradException and not OperationCanceledException)
        {
            throw new HypergradException(
                $"{mapName} failed on a state of shape [{string.Join(", ", state.shape)}]: {e.Message.Split('\n')[0]} " +
                "A state sized for a batch (rows × units) needs batches of that many rows.", e);
        }
    }

    /// <summary>Marks a <see cref="HypergradException"/> as a diverged iteration (the exception's type stays the one users catch).</summary>
    internal const string DivergedKey = "Hypergrad.EquilibriumDiverged";

    /// <summary>True when <paramref name="error"/> is <see cref="Find"/>'s report of a diverged iteration (a map that is not a contraction).</summary>
    internal static bool IsDivergence(HypergradException error) => error.Data.Contains(DivergedKey);

    static HypergradException Diverged(string message)
    {
        var error = new HypergradException(message);
        error.Data[DivergedKey] = true;
        return error;
    }

    static Tensor CheckOutput(Tensor next, Tensor state, string mapName)
    {
        if (next is null || next.IsInvalid)
            throw new HypergradException($"{mapName} returned a null or disposed tensor; return Φ(z), shaped like z.");
        if (!next.shape.SequenceEqual(state.shape) || next.dtype != state.dtype)
            throw new HypergradException(
                $"{mapName} returned a {next.dtype} tensor of shape [{string.Join(", ", next.shape)}] for a {state.dtype} state of shape " +
                $"[{string.Join(", ", state.shape)}]; Φ(z) must be shaped like z. A state sized for a batch (rows × units) needs batches of that many rows.");
        return next;
    }
}
