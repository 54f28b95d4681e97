using System;
using static TorchSharp.torch;

namespace Hypergrad.Solving;

/// <summary>
/// An objective of a bilevel problem: a named function of one batch, evaluated at the variables' current
/// (or substituted) values. The generator adapts the user's <c>[InnerObjective]</c>/<c>[OuterObjective]</c> method.
/// </summary>
/// <typeparam name="TBatch">The batch the objective consumes, e.g. <c>(Tensor x, Tensor y)</c>.</typeparam>
public sealed class Objective<TBatch>
{
    private readonly Func<TBatch, Tensor> evaluate;

    /// <summary>Wraps <paramref name="evaluate"/>, named <paramref name="name"/> in errors and reports.</summary>
    public Objective(string name, Func<TBatch, Tensor> evaluate)
    {
        Name = name ?? throw new ArgumentNullException(nameof(name));
        this.evaluate = evaluate ?? throw new ArgumentNullException(nameof(evaluate));
    }

    /// <summary>The method's name, e.g. "TrainLoss".</summary>
    public string Name { get; }

    /// <summary>The objective's value on <paramref name="batch"/>.</summary>
    public Tensor Evaluate(TBatch batch) =>
        evaluate(batch) ?? throw new HypergradException($"Objective '{Name}' returned null; return the scalar loss tensor.");

    /// <summary>The objective closed over one batch: the <c>Func&lt;Tensor&gt;</c> the hypergradient methods take.</summary>
    public Func<Tensor> On(TBatch batch) => () => Evaluate(batch);
}

/// <summary>A user's own inner update (an <c>[InnerStep]</c> method): takes one inner step on one batch.</summary>
/// <typeparam name="TBatch">The inner objective's batch.</typeparam>
public sealed class InnerStep<TBatch>
{
    private readonly Action<TBatch> step;

    /// <summary>Wraps <paramref name="step"/>, named <paramref name="name"/> in errors.</summary>
    public InnerStep(string name, Action<TBatch> step)
    {
        Name = name ?? throw new ArgumentNullException(nameof(name));
        this.step = step ?? throw new ArgumentNullException(nameof(step));
    }

    /// <summary>The method's name.</summary>
    public string Name { get; }

    /// <summary>Takes one inner step on <paramref name="batch"/>.</summary>
    public void Take(TBatch batch) => step(batch);
}
