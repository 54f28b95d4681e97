using System;
using System.Collections.Generic;
using System.Linq;
using Hypergrad.Implicit;
using Hypergrad.Optimizers;
using Hypergrad.Parameters;
using TorchSharp;
using static TorchSharp.torch;

namespace Hypergrad.Solving;

/// <summary>
/// A bilevel problem as the runtime sees it: named inner and outer variables (flat parameter sets), the inner
/// objective g and outer objective F as functions of a batch, and the method that computes dF/dλ. The generator
/// builds one per <c>[Hypergradient]</c> class; it can also be built by hand.
/// </summary>
/// <typeparam name="TInnerBatch">What the inner objective consumes, e.g. <c>(Tensor x, Tensor y)</c>.</typeparam>
/// <typeparam name="TOuterBatch">What the outer objective consumes.</typeparam>
public sealed class BilevelProblem<TInnerBatch, TOuterBatch>
{
    private ImplicitHypergradient? implicitEngine;
    private readonly ProblemGuard guard;

    /// <summary>Creates the problem.</summary>
    /// <param name="name">The problem's name (the class name), used in errors and checkpoints.</param>
    /// <param name="settings">The hypergradient method and its options.</param>
    /// <param name="innerVariables">The inner variables w.</param>
    /// <param name="outerVariables">The outer variables λ.</param>
    /// <param name="innerObjective">g(w, λ) on an inner batch.</param>
    /// <param name="outerObjective">F(w, λ) on an outer batch.</param>
    /// <param name="innerStep">A user's own inner update (implicit methods only), or null to use the inner optimizer.</param>
    /// <param name="initializations">
    /// Meta-learning: (inner member, outer member) pairs; the inner member's tensors are reset to the outer member's
    /// before each outer step's inner steps (e.g. ("Model", "MetaInit") pairs "Model.weight" with "MetaInit.weight").
    /// </param>
    public BilevelProblem(string name, HypergradientSettings settings, ParameterSet innerVariables, ParameterSet outerVariables,
        Objective<TInnerBatch> innerObjective, Objective<TOuterBatch> outerObjective, InnerStep<TInnerBatch>? innerStep = null,
        IReadOnlyList<(string Inner, string Outer)>? initializations = null)
    {
        Name = name ?? throw new ArgumentNullException(nameof(name));
        Settings = settings ?? throw new ArgumentNullException(nameof(settings));   // validated by the setter
        InnerVariables = innerVariables ?? throw new ArgumentNullException(nameof(innerVariables));
        OuterVariables = outerVariables ?? throw new ArgumentNullException(nameof(outerVariables));
        InnerObjective = innerObjective ?? throw new ArgumentNullException(nameof(innerObjective));
        OuterObjective = outerObjective ?? throw new ArgumentNullException(nameof(outerObjective));
        InnerStep = innerStep;
        guard = new ProblemGuard(name, innerVariables, outerVariables);
        innerObjective.Bind(guard, "inner objective");
        outerObjective.Bind(guard, "outer objective");
        innerStep?.Bind(guard);
        Initialization = initializations is { Count: > 0 } ? new Initialization(name, innerVariables, outerVariables, initializations) : null;
        if (innerStep is not null && settings.IsUnrolled)
            throw new HypergradException(
                $"{name}: [InnerStep] '{innerStep.Name}' cannot be used with Method.{settings.Method}, which differentiates through the inner steps of " +
                "BilevelOptions.InnerOptimizer; remove the [InnerStep] method or choose an implicit method.");
        if (Initialization is not null && settings.IsJoint)
            throw new HypergradException(
                $"{name}: '{initializations![0].Inner}' is reset to '{initializations[0].Outer}' before each outer step, but Method.{settings.Method} never restarts the " +
                "inner variables (every step is an outer step of one continuing inner trajectory); remove InitializedFrom or choose an implicit or unrolled method.");
        if (innerStep is not null && settings.IsJoint)
            throw new HypergradException(
                $"{name}: [InnerStep] '{innerStep.Name}' cannot be used with Method.{settings.Method}, which steps the inner variables itself (along its own " +
                "direction, with BilevelOptions.InnerOptimizer); remove the [InnerStep] method or choose an implicit method.");
    }

    /// <summary>The problem's name.</summary>
    public string Name { get; }

    /// <summary>
    /// The hypergradient method and its options: the <c>[Hypergradient]</c> attribute's. Replace them to set values known only
    /// at run time, e.g. <c>Settings = Settings with { Alpha = 1 / lambdaMax }</c>; the new settings are checked by the
    /// attribute's rules (same messages as HG0012/HG0013) and used from the next hypergradient on. The method cannot change
    /// (the generated code and its diagnostics are written for it). Replacing them is refused from another thread while the
    /// problem is in use, and during a joint method's <c>Run</c> (its state is built for the settings it started with).
    /// </summary>
    public HypergradientSettings Settings
    {
        get => settings;
        set
        {
            using var exclusive = guard is null ? default : guard.Enter("replacing Settings");   // null while the constructor sets them
            if (JointRunActive)
                throw new HypergradException(
                    $"{Name}: Settings cannot be replaced during a Run of Method.{settings.Method}: the run's state (its estimate, memory or copies) " +
                    "is built for the settings it started with, and would keep using them. Replace them before Run, or between two Runs.");
            settings = HypergradientSettings.CheckReplacement(settings, value, Name, fixedPointMap: false);
            jointIteration?.Forget();
            implicitEngine?.Dispose();
            implicitEngine = null;   // built again with the new solver options (a warm start does not carry over)
        }
    }

    private HypergradientSettings settings = null!;

    /// <summary>True while a joint method's <c>Run</c> (JointSolver) is in progress on this problem.</summary>
    internal bool JointRunActive { get; set; }

    /// <summary>Holds the problem for the calling thread (a second thread is refused) until disposed.</summary>
    internal ProblemGuard.Lease Enter(string operation) => guard.Enter(operation);

    /// <summary>The inner variables w.</summary>
    public ParameterSet InnerVariables { get; }

    /// <summary>The outer variables λ.</summary>
    public ParameterSet OuterVariables { get; }

    /// <summary>g(w, λ).</summary>
    public Objective<TInnerBatch> InnerObjective { get; }

    /// <summary>F(w, λ).</summary>
    public Objective<TOuterBatch> OuterObjective { get; }

    /// <summary>Meta-learning: which inner variables are reset to which outer variables, or null.</summary>
    public Initialization? Initialization { get; }

    /// <summary>Bounds of <c>[Outer]</c> members, applied after every outer step of <c>Run</c>; empty when none.</summary>
    public IReadOnlyList<OuterBound> OuterBounds
    {
        get => outerBounds;
        init => outerBounds = OuterBound.Validated(Name, value);
    }
    private readonly IReadOnlyList<OuterBound> outerBounds = Array.Empty<OuterBound>();

    /// <summary>Clamps the bounded outer variables into their <see cref="OuterBounds"/>.</summary>
    internal void ApplyOuterBounds() => OuterBound.Apply(Name, outerBounds, OuterVariables);

    /// <summary>The user's own inner update, or null.</summary>
    public InnerStep<TInnerBatch>? InnerStep { get; }

    /// <summary>
    /// The inner optimizer that unrolled methods differentiate through when <see cref="ComputeHypergradient"/>
    /// is called directly (<c>Run</c> uses <see cref="BilevelOptions.InnerOptimizer"/>).
    /// </summary>
    public DifferentiableOptimizer? InnerOptimizer { get; set; }

    /// <summary>
    /// Computes dF/dλ and adds it to the outer variables' <c>.grad</c>. Joint methods (single-loop, Hessian-free) take one
    /// iteration on these batches (every draw of the iteration gets the same batch): they step the inner variables with
    /// <see cref="InnerOptimizer"/> and their own state (kept by the problem between calls), and add their λ direction,
    /// times the step schedule's factor, to <c>.grad</c>. Implicit methods solve the linear system at
    /// the current inner variables (assumed near an inner solution). Unrolled methods unroll
    /// <see cref="HypergradientSettings.UnrollSteps"/> steps of <see cref="InnerOptimizer"/>, all on
    /// <paramref name="innerBatch"/>, from the current inner variables (<c>Run</c> gives each step its own batch), differentiate through them, and leave the inner
    /// variables at the end of that trajectory.
    /// </summary>
    public HypergradientResult ComputeHypergradient(TInnerBatch innerBatch, TOuterBatch outerBatch)
    {
        using var exclusive = guard.Enter(nameof(ComputeHypergradient));
        if (Settings.IsJoint)
        {
            var optimizer = InnerOptimizer ?? throw new HypergradException(
                $"{Name}: Method.{Settings.Method} steps the inner variables with an inner optimizer; set BilevelProblem.InnerOptimizer (e.g. new DifferentiableSgd(0.1)) before calling ComputeHypergradient, or use Run.");
            return jointIteration.Take(this, optimizer, innerBatch, outerBatch);
        }
        if (Settings.IsUnrolled)
        {
            var optimizer = InnerOptimizer ?? throw new HypergradException(
                $"{Name}: Method.{Settings.Method} differentiates through inner optimizer steps; set BilevelProblem.InnerOptimizer (e.g. new DifferentiableSgd(0.1)) before calling ComputeHypergradient, or use Run.");
            return ComputeUnrolled(_ => innerBatch, outerBatch, optimizer, Settings.UnrollSteps ?? BilevelOptions.DefaultUnrollSteps);
        }
        return ImplicitEngine.Compute(InnerObjective.On(innerBatch), OuterObjective.On(outerBatch), accumulateGrad: true);
    }

    // Joint methods called through ComputeHypergradient: their state (z, memory, copies) lives with the problem between calls.
    private readonly SingleLoop.SingleIteration jointIteration = new();

    // One engine per problem: it keeps the previous solution for warm starts and the Nyström-preconditioned CG's sketch.
    private ImplicitHypergradient ImplicitEngine =>
        implicitEngine ??= new ImplicitHypergradient(InnerVariables, OuterVariables, HypergradientMethods.CreateImplicitSolver(Settings, Settings.Method));

    /// <summary>Checkpoints: the implicit engine's state (warm start, sketch); nothing for unrolled methods.</summary>
    internal void WriteSolverState(System.IO.BinaryWriter writer)
    {
        if (!Settings.IsUnrolled && !Settings.IsJoint) ImplicitEngine.SaveState(writer);
    }

    /// <summary>Restores what <see cref="WriteSolverState"/> wrote.</summary>
    internal void ReadSolverState(System.IO.BinaryReader reader, string path)
    {
        if (!Settings.IsUnrolled && !Settings.IsJoint) ImplicitEngine.LoadState(reader, path);
    }

    /// <summary>
    /// Implicit methods, for <c>Run</c>: <see cref="ComputeHypergradient"/> that also returns the value of F the engine
    /// computed on its way (at the current variables), so the progress report costs no second forward of F.
    /// </summary>
    internal HypergradientResult ComputeImplicit(TInnerBatch innerBatch, TOuterBatch outerBatch, out double outerLoss)
    {
        implicitEngine ??= new ImplicitHypergradient(InnerVariables, OuterVariables, HypergradientMethods.CreateImplicitSolver(Settings, Settings.Method));
        var objective = OuterObjective.On(outerBatch);
        double value = double.NaN;
        var result = implicitEngine.Compute(InnerObjective.On(innerBatch), () =>
        {
            var f = objective();
            if (double.IsNaN(value)) value = f.detach().ToDouble();   // the engine evaluates F once; keep the first value regardless
            return f;
        }, accumulateGrad: true);
        outerLoss = value;
        return result;
    }

    /// <summary>
    /// Unrolled methods: <paramref name="steps"/> differentiated inner steps, step t on <paramref name="innerBatchOfStep"/>(t),
    /// then dF/dλ into <c>.grad</c>.
    /// </summary>
    internal HypergradientResult ComputeUnrolled(Func<int, TInnerBatch> innerBatchOfStep, TOuterBatch outerBatch, DifferentiableOptimizer optimizer, int steps)
    {
        using var exclusive = guard.Enter(nameof(ComputeHypergradient));
        var result = HypergradientMethods.Unrolled(InnerVariables, OuterVariables, Settings, t => InnerObjective.On(innerBatchOfStep(t)),
            OuterObjective.On(outerBatch), optimizer, steps);
        if (result.Gradients.Count == OuterVariables.Count) result.AccumulateInto(OuterVariables);
        else if (Initialization is not null)
        {
            Initialization.AccumulateInto(result);
            // The composition's "exactly zero" warning about an outer variable is about its direct part only; the
            // meta-initialization θ gets its gradient through w₀ = θ, added just now, so that warning would be false.
            result = Initialization.WithoutZeroWarningsOfInitialized(result);
        }
        else throw new HypergradException(
            $"{Name}: the composition returns the gradient of the inner initialization too, but no [Inner] variable names its [Outer] initialization; " +
            "mark the inner module [Inner(InitializedFrom = nameof(MetaInit))] with an [Outer] MetaInit of the same architecture.");
        return result;
    }
}
