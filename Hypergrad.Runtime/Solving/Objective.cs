using System;
using static TorchSharp.torch;

namespace Hypergrad.Solving;

/// <summary>
/// An objective of a bilevel problem: a named function of one batch, evaluated at the variables' current
/// (or substituted) values. The generator adapts the user's <c>[InnerObjective]</c>/<c>[OuterObjective]</c> method.
/// </summary>
/// <remarks>
/// Once the objective belongs to a problem, every evaluation is guarded: the batch is checked first, and an exception
/// from the user's code, a disposed variable, a <c>backward()</c> inside it or a loss cached across calls comes back as
/// a <see cref="HypergradException"/> naming the objective (libtorch would otherwise abort the process on some of them).
/// </remarks>
/// <typeparam name="TBatch">The batch the objective consumes, e.g. <c>(Tensor x, Tensor y)</c>.</typeparam>
public sealed class Objective<TBatch>
{
    private readonly Func<TBatch, Tensor> evaluate;
    private ProblemGuard? guard;
    private string role = "objective";
    private WeakReference<Tensor>? lastResult;

    /// <summary>Wraps <paramref name="evaluate"/>, named <paramref name="name"/> in errors and reports.</summary>
    public Objective(string name, Func<TBatch, Tensor> evaluate)
    {
        Name = name ?? throw new ArgumentNullException(nameof(name));
        this.evaluate = evaluate ?? throw new ArgumentNullException(nameof(evaluate));
    }

    /// <summary>The method's name, e.g. "TrainLoss".</summary>
    public string Name { get; }

    /// <summary>Attaches the problem's guard; <paramref name="objectiveRole"/> is e.g. "inner objective".</summary>
    internal void Bind(ProblemGuard problemGuard, string objectiveRole)
    {
        guard = problemGuard;
        role = objectiveRole;
    }

    /// <summary>The objective's value on <paramref name="batch"/>.</summary>
    public Tensor Evaluate(TBatch batch)
    {
        if (guard is null)
            return evaluate(batch) ?? throw new HypergradException($"Objective '{Name}' returned null; return the scalar loss tensor.");
        return guard.Call($"the {role} {Name}", evaluate.Target, batch, () => evaluate(batch), ref lastResult, differentiated: is_grad_enabled());
    }

    /// <summary>The objective closed over one batch: the <c>Func&lt;Tensor&gt;</c> the hypergradient methods take.</summary>
    public Func<Tensor> On(TBatch batch) => () => Evaluate(batch);
}

/// <summary>A user's own inner update (an <c>[InnerStep]</c> method): takes one inner step on one batch.</summary>
/// <typeparam name="TBatch">The inner objective's batch.</typeparam>
public sealed class InnerStep<TBatch>
{
    private readonly Action<TBatch> step;
    private ProblemGuard? guard;

    /// <summary>Wraps <paramref name="step"/>, named <paramref name="name"/> in errors.</summary>
    public InnerStep(string name, Action<TBatch> step)
    {
        Name = name ?? throw new ArgumentNullException(nameof(name));
        this.step = step ?? throw new ArgumentNullException(nameof(step));
    }

    /// <summary>The method's name.</summary>
    public string Name { get; }

    /// <summary>Attaches the problem's guard.</summary>
    internal void Bind(ProblemGuard problemGuard) => guard = problemGuard;

    /// <summary>Takes one inner step on <paramref name="batch"/>.</summary>
    /// <remarks>An inner step may run its own backward pass and update the variables in place: only the batch, the
    /// variables' lifetime and exceptions are checked.</remarks>
    public void Take(TBatch batch)
    {
        if (guard is null) step(batch);
        else guard.Invoke($"the inner step {Name}", step.Target, batch, () => step(batch), differentiated: false);
    }
}
