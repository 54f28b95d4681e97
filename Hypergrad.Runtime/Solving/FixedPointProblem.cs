using System.Collections.Generic;
using System;
using System.Linq;
using Hypergrad.Implicit;
using Hypergrad.Parameters;
using TorchSharp;
using static TorchSharp.torch;

namespace Hypergrad.Solving;

/// <summary>
/// An equilibrium problem as the runtime sees it (a <c>[FixedPointMap]</c> class): a state z that belongs to each
/// batch and is defined by z* = Φ(z*; θ, batch), trained parameters θ (the outer variables), and a loss F read at
/// the equilibrium on the same batch. dF/dθ = ∂F/∂θ + (∂Φ/∂θ)ᵀ x with (I − Jᵀ) x = ∂F/∂z*, J = ∂Φ/∂z
/// (<see cref="ImplicitHypergradient.ComputeWithFixedPointMap"/>). The generator builds one per class; it can also
/// be built by hand.
/// </summary>
/// <typeparam name="TBatch">What the map and the outer objective consume, e.g. <c>(Tensor x, Tensor y)</c>.</typeparam>
public sealed class FixedPointProblem<TBatch>
{
    private ImplicitHypergradient? engine;
    private readonly ProblemGuard guard;

    /// <summary>Creates the problem.</summary>
    /// <param name="name">The problem's name (the class name), used in errors.</param>
    /// <param name="settings">The linear-system method (one that accepts a non-symmetric matrix) and the equilibrium solve's options.</param>
    /// <param name="innerVariables">The equilibrium state z: exactly one tensor, found again for every batch.</param>
    /// <param name="outerVariables">The trained parameters θ.</param>
    /// <param name="fixedPointMap">Φ(·; θ, batch).</param>
    /// <param name="outerObjective">F at the equilibrium, on the same batch.</param>
    public FixedPointProblem(string name, HypergradientSettings settings, ParameterSet innerVariables, ParameterSet outerVariables,
        FixedPointMapOfBatch<TBatch> fixedPointMap, Objective<TBatch> outerObjective)
    {
        Name = name ?? throw new ArgumentNullException(nameof(name));
        if (FixedPointMapMethods.WhyNot((settings ?? throw new ArgumentNullException(nameof(settings))).Method) is { } problem)
            throw new HypergradException($"{name}: Method.{settings.Method} {problem}; use Method.FixedPoint, ConjugateGradientNormal, Neumann or Exact.");
        Settings = settings;   // validated by the setter
        InnerVariables = innerVariables ?? throw new ArgumentNullException(nameof(innerVariables));
        OuterVariables = outerVariables ?? throw new ArgumentNullException(nameof(outerVariables));
        FixedPointMap = fixedPointMap ?? throw new ArgumentNullException(nameof(fixedPointMap));
        OuterObjective = outerObjective ?? throw new ArgumentNullException(nameof(outerObjective));
        guard = new ProblemGuard(name, innerVariables, outerVariables);
        fixedPointMap.Bind(guard);
        outerObjective.Bind(guard, "outer objective");
        if (innerVariables.Count != 1)
            throw new HypergradException(
                $"{name}: a fixed-point-map problem has one inner variable, the equilibrium state z that {fixedPointMap.Name} maps, but got {innerVariables.Count} " +
                $"({string.Join(", ", innerVariables.Names)}); keep one [Inner] Tensor.");
    }

    /// <summary>The problem's name.</summary>
    public string Name { get; }

    /// <summary>Holds the problem for the calling thread (a second thread is refused) until disposed.</summary>
    internal ProblemGuard.Lease Enter(string operation) => guard.Enter(operation);

    /// <summary>
    /// The linear-system method and the equilibrium solve's options: the <c>[Hypergradient]</c> attribute's. Replace them to set
    /// values known only at run time (<c>Settings = Settings with { Alpha = 0.5 }</c>); the new settings are checked by the
    /// attribute's rules (same messages as HG0012/HG0013) and used from the next hypergradient on. The method cannot change.
    /// </summary>
    public HypergradientSettings Settings
    {
        get => settings;
        set
        {
            using var exclusive = guard is null ? default : guard.Enter("replacing Settings");   // null while the constructor sets them
            settings = HypergradientSettings.CheckReplacement(settings, value, Name, fixedPointMap: true);
            engine?.Dispose();
            engine = null;   // built again with the new solver options
        }
    }

    private HypergradientSettings settings = null!;

    /// <summary>The equilibrium state z (one tensor).</summary>
    public ParameterSet InnerVariables { get; }

    /// <summary>The trained parameters θ.</summary>
    public ParameterSet OuterVariables { get; }

    /// <summary>Bounds of <c>[Outer]</c> members, applied after every step of <c>Run</c>; empty when none.</summary>
    public IReadOnlyList<OuterBound> OuterBounds
    {
        get => outerBounds;
        init => outerBounds = OuterBound.Validated(Name, value);
    }
    private readonly IReadOnlyList<OuterBound> outerBounds = Array.Empty<OuterBound>();

    /// <summary>Clamps the bounded outer variables into their <see cref="OuterBounds"/>.</summary>
    internal void ApplyOuterBounds() => OuterBound.Apply(Name, outerBounds, OuterVariables);

    /// <summary>Φ(·; θ, batch).</summary>
    public FixedPointMapOfBatch<TBatch> FixedPointMap { get; }

    /// <summary>F at the equilibrium.</summary>
    public Objective<TBatch> OuterObjective { get; }

    /// <summary>
    /// The last forward solve: iterations, residual, convergence; its <see cref="Equilibrium.State"/> is the inner
    /// variable itself, which holds z*. Null before the first.
    /// </summary>
    public Equilibrium? LastEquilibrium { get; private set; }

    /// <summary>
    /// Finds the equilibrium of <paramref name="batch"/> (no graph; from zero, or from the current state with
    /// <c>EquilibriumWarmStart</c>) and stores it in the inner variable.
    /// </summary>
    public Equilibrium SolveEquilibrium(TBatch batch)
    {
        using var exclusive = guard.Enter(nameof(SolveEquilibrium));
        var state = InnerVariables[0].Tensor;
        using var scope = NewDisposeScope();
        Func<Tensor, Tensor> map;
        using (no_grad()) map = FixedPointMap.On(batch);
        var start = Settings.EquilibriumWarmStart == true ? state : zeros_like(state);
        var found = Equilibrium.Find(map, start,
            Settings.EquilibriumIterations ?? HypergradientSettings.DefaultEquilibriumIterations,
            Settings.EquilibriumTolerance ?? HypergradientSettings.DefaultEquilibriumTolerance,
            $"{Name}'s fixed-point map {FixedPointMap.Name}");
        using (no_grad()) state.copy_(found.State);
        LastEquilibrium = found with { State = state };
        return LastEquilibrium;
    }

    /// <summary>
    /// dF/dθ on one batch: finds its equilibrium (<see cref="SolveEquilibrium"/>), solves (I − Jᵀ) x = ∂F/∂z* with the
    /// settings' method, and adds the result to the outer variables' <c>.grad</c>. <c>Converged</c> is false (with a
    /// warning) when the forward solve missed its tolerance too.
    /// </summary>
    public HypergradientResult ComputeHypergradient(TBatch batch) => Compute(batch, out _);

    /// <summary>
    /// <see cref="ComputeHypergradient"/>, also returning F at the equilibrium as the engine computed it (so <c>Run</c>'s
    /// progress report costs no second forward of F).
    /// </summary>
    internal HypergradientResult Compute(TBatch batch, out double outerLoss)
    {
        using var exclusive = guard.Enter(nameof(ComputeHypergradient));
        var equilibrium = SolveEquilibrium(batch);
        var shape = equilibrium.State.shape;
        // One engine per problem: it keeps the previous solution for warm starts.
        engine ??= new ImplicitHypergradient(InnerVariables, OuterVariables, HypergradientMethods.CreateImplicitSolver(Settings, Settings.Method));
        var objective = OuterObjective.On(batch);
        double value = double.NaN;
        var result = engine.ComputeWithFixedPointMap(
            // Φ at the substituted parameters; z arrives flat, laid out like the inner set (one tensor).
            z => FixedPointMap.On(batch)(z.view(shape)).reshape(-1),
            () =>
            {
                var f = objective();
                if (double.IsNaN(value)) value = f.detach().ToDouble();   // the engine evaluates F once
                return f;
            },
            accumulateGrad: true);
        outerLoss = value;
        if (equilibrium.Converged) return result;
        var warning = $"The equilibrium solve stopped after {equilibrium.Iterations} iterations at a relative residual of {equilibrium.RelativeResidual:G3}, " +
                      $"above EquilibriumTolerance: the hypergradient is taken at an approximate equilibrium. Raise EquilibriumIterations or make {FixedPointMap.Name} more contractive.";
        return result.WithWarnings(result.Warnings.Append(warning).ToArray(), converged: false);
    }
}

/// <summary>
/// A fixed-point map as a function of its batch: for one batch, the map z ↦ Φ(z; θ, batch). The generator adapts the
/// user's <c>[FixedPointMap]</c> method.
/// </summary>
/// <typeparam name="TBatch">The batch the map consumes.</typeparam>
public sealed class FixedPointMapOfBatch<TBatch>
{
    private readonly Func<TBatch, Func<Tensor, Tensor>> mapOf;
    private ProblemGuard? guard;
    private WeakReference<Tensor>? lastResult;

    /// <summary>Wraps <paramref name="mapOf"/>, named <paramref name="name"/> in errors.</summary>
    public FixedPointMapOfBatch(string name, Func<TBatch, Func<Tensor, Tensor>> mapOf)
    {
        Name = name ?? throw new ArgumentNullException(nameof(name));
        this.mapOf = mapOf ?? throw new ArgumentNullException(nameof(mapOf));
    }

    /// <summary>The method's name, e.g. "Layer".</summary>
    public string Name { get; }

    /// <summary>Attaches the problem's guard.</summary>
    internal void Bind(ProblemGuard problemGuard) => guard = problemGuard;

    /// <summary>The map for <paramref name="batch"/>, built at the variables' current (or substituted) values.</summary>
    /// <remarks>Once the map belongs to a problem, the batch is checked and every application is guarded like an objective.</remarks>
    public Func<Tensor, Tensor> On(TBatch batch)
    {
        Func<Tensor, Tensor>? map = null;
        if (guard is null) map = mapOf(batch);
        else guard.Invoke($"the fixed-point map {Name}", mapOf.Target, batch, () => map = mapOf(batch), differentiated: false);
        if (map is null) throw new HypergradException($"Fixed-point map '{Name}' returned null; return the map z ↦ Φ(z).");
        if (guard is not { } g) return map;
        return z =>
        {
            // Φ(z) = z is no cache (the previous result comes back as z): only compare when z is not the previous result.
            if (lastResult is not null && lastResult.TryGetTarget(out var previous) && ReferenceEquals(previous, z)) lastResult = null;
            var next = g.Call($"the fixed-point map {Name}", null, batch, () => map(z), ref lastResult, differentiated: is_grad_enabled(),
                hint: $"The state z has shape [{string.Join(", ", z.shape)}]: a state sized for a batch (rows × units) needs batches of that many rows.");
            if (ReferenceEquals(next, z) || next.Handle == z.Handle)
                throw new HypergradException(
                    $"The fixed-point map {Name} returned the very tensor it was given (or a result cached across calls): the equilibrium solve " +
                    "would free it as the old state. Return a new tensor computed from z on every call.");
            return next;
        };
    }
}
