using System;
using System.Collections.Generic;
using System.Linq;
using Hypergrad.Autograd;
using TorchSharp;
using static TorchSharp.torch;

namespace Hypergrad.Optimizers;

/// <summary>The result of an out-of-place optimizer step: the new parameters and the new state.</summary>
/// <param name="Parameters">The updated parameters (non-leaf tensors in the autograd graph of the old ones).</param>
/// <param name="State">The updated optimizer state.</param>
public sealed record OptimizerStep(Tensor[] Parameters, OptimizerState State);

/// <summary>
/// A differentiable functional optimizer in TorchOpt's style: <see cref="Init"/> creates the state,
/// <see cref="Step"/> returns new parameters and a new state computed out of place, so the whole update
/// stays in the autograd graph (of the parameters, the gradients, the state and tensor hyperparameters).
/// <see cref="StepInPlace"/> applies the same update to leaf tensors under no_grad, like <c>torch.optim</c>.
/// </summary>
/// <remarks>Each update matches TorchSharp's <c>torch.optim</c> counterpart step for step.</remarks>
public abstract class DifferentiableOptimizer
{
    /// <summary>The names of the per-parameter state tensors, e.g. "momentum_buffer" (read once per step: implementations may build the array on each call).</summary>
    protected abstract string[] SlotNames { get; }

    /// <summary>The initial value of slot <paramref name="slot"/> for <paramref name="parameter"/> (zeros unless overridden).</summary>
    protected virtual Tensor InitialSlot(int slot, Tensor parameter) => zeros_like(parameter);

    /// <summary>
    /// One update of one parameter. Reads the old slot tensors from <paramref name="slots"/> and replaces
    /// them with the new ones (out of place); returns the new parameter.
    /// </summary>
    /// <param name="parameter">The current value.</param>
    /// <param name="gradient">Its gradient.</param>
    /// <param name="slots">In: the old state tensors; out: the new ones.</param>
    /// <param name="step">The 1-based number of this step.</param>
    protected abstract Tensor Update(Tensor parameter, Tensor gradient, Tensor[] slots, int step);

    /// <summary>Creates the initial state for <paramref name="parameters"/> (step 0, slots detached from any graph).</summary>
    public OptimizerState Init(IReadOnlyList<Tensor> parameters)
    {
        using (no_grad())
        {
            var names = SlotNames;
            var slots = parameters.Select(p => Enumerable.Range(0, names.Length).Select(s => InitialSlot(s, p.detach())).ToArray()).ToArray();
            return new OptimizerState(0, names, slots);
        }
    }

    /// <summary>
    /// The out-of-place, differentiable step: new parameters and state, in the autograd graph.
    /// </summary>
    public OptimizerStep Step(IReadOnlyList<Tensor> parameters, IReadOnlyList<Tensor> gradients, OptimizerState state)
    {
        Check(parameters, gradients, state);
        int step = state.Steps + 1;
        var newParameters = new Tensor[parameters.Count];
        var newSlots = new Tensor[parameters.Count][];
        // Per-step hyperparameters are evaluated once per step, here, in the graph this step is recorded in (none under
        // no_grad): a function of an outer variable uses its current value and is differentiated through.
        foreach (var (_, value) in hyperparameters) value.BeginStep();
        try
        {
            for (int i = 0; i < parameters.Count; i++)
            {
                newSlots[i] = state.SlotsOf(i).ToArray();
                newParameters[i] = Update(parameters[i], gradients[i], newSlots[i], step);
            }
        }
        finally
        {
            foreach (var (_, value) in hyperparameters) value.EndStep();
        }
        return new OptimizerStep(newParameters, new OptimizerState(step, SlotNames, newSlots));
    }

    /// <summary>
    /// The in-place step, as <c>torch.optim</c> does it: overwrites <paramref name="parameters"/> and the
    /// tensors of <paramref name="state"/> under no_grad (no graph is recorded).
    /// </summary>
    public void StepInPlace(IReadOnlyList<Tensor> parameters, IReadOnlyList<Tensor> gradients, OptimizerState state)
    {
        Check(parameters, gradients, state);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        int step = state.Steps + 1;
        foreach (var (_, value) in hyperparameters) value.BeginStep();
        try
        {
            for (int i = 0; i < parameters.Count; i++) UpdateInPlace(parameters[i], gradients[i], state.SlotsOf(i), step);
        }
        finally
        {
            foreach (var (_, value) in hyperparameters) value.EndStep();
        }
        state.Steps = step;
    }

    /// <summary>
    /// One update of one parameter in place, under no_grad: overwrites <paramref name="parameter"/> and the tensors of
    /// <paramref name="slots"/>. The default computes <see cref="Update"/> out of place and copies the results back; an
    /// optimizer of the library may override it with in-place arithmetic, as <c>torch.optim</c> does (an inner loop runs
    /// it on every step). Not public: an optimizer written outside the library keeps the default.
    /// </summary>
    private protected virtual void UpdateInPlace(Tensor parameter, Tensor gradient, IReadOnlyList<Tensor> slots, int step)
    {
        var next = slots.ToArray();
        parameter.copy_(Update(parameter, gradient, next, step));
        for (int s = 0; s < next.Length; s++)
            if (!ReferenceEquals(next[s], slots[s])) slots[s].copy_(next[s]);
    }

    /// <summary>
    /// Differentiates <paramref name="loss"/> with respect to <paramref name="parameters"/> (keeping the graph
    /// so the step can be differentiated again) and takes an out-of-place <see cref="Step"/>.
    /// </summary>
    /// <param name="parameters">The current parameter values.</param>
    /// <param name="names">Their names, used in errors.</param>
    /// <param name="loss">A scalar loss computed from <paramref name="parameters"/>.</param>
    /// <param name="state">The optimizer state.</param>
    /// <param name="lossName">How errors name the loss.</param>
    public OptimizerStep Minimize(IReadOnlyList<Tensor> parameters, IReadOnlyList<string> names, Tensor loss, OptimizerState state, string lossName = "inner objective")
    {
        var gradients = Gradients.Of(loss, lossName, parameters, names, createGraph: true, unused: UnusedInput.Zero);
        return Step(parameters, gradients, state);
    }

    void Check(IReadOnlyList<Tensor> parameters, IReadOnlyList<Tensor> gradients, OptimizerState state)
    {
        if (gradients.Count != parameters.Count)
            throw new HypergradException($"{GetType().Name}.Step got {parameters.Count} parameters but {gradients.Count} gradients; pass one gradient per parameter, in the same order.");
        if (state.ParameterCount != parameters.Count || !state.SlotNames.SequenceEqual(SlotNames))
            throw new HypergradException($"{GetType().Name}.Step got a state for {state.ParameterCount} parameters with slots ({string.Join(", ", state.SlotNames)}); create it with this optimizer's Init for these {parameters.Count} parameters.");
        for (int i = 0; i < parameters.Count; i++)
            if (!parameters[i].shape.SequenceEqual(gradients[i].shape))
                throw new HypergradException(
                    $"{GetType().Name}.Step: gradient {i} has shape [{string.Join(", ", gradients[i].shape)}] but its parameter has [{string.Join(", ", parameters[i].shape)}]; pass the gradients in parameter order.");
    }

    /// <summary>Throws a <see cref="HypergradException"/> naming the hyperparameter unless <paramref name="ok"/>.</summary>
    protected void Require(bool ok, string hyperparameter, string rule)
    {
        if (!ok) throw new HypergradException($"{GetType().Name}: {hyperparameter} {rule}.");
    }

    /// <summary>The hyperparameters that may be tensors or per-step functions, by constructor parameter name.</summary>
    public IReadOnlyList<(string Name, Hyperparameter Value)> Hyperparameters => hyperparameters;

    readonly List<(string Name, Hyperparameter Value)> hyperparameters = new();

    /// <summary>
    /// Records a hyperparameter (per-step functions are evaluated at every <see cref="Step"/>) and checks it. A constant
    /// that torch.optim refuses too (negative or NaN) is refused. A tensor must be a leaf (an outer variable itself): a
    /// tensor computed from one (e.g. <c>LogLr.exp()</c>) would keep its value when the outer variable changes, so it is
    /// refused with the per-step form that fixes it. A tensor or function value changes during the run and is not
    /// range-checked.
    /// </summary>
    /// <returns><paramref name="value"/>.</returns>
    protected Hyperparameter Register(Hyperparameter value, string hyperparameter)
    {
        if (value.IsConstant)
            Require(value.Constant >= 0, hyperparameter, $"must be a non-negative number, not {value.Constant}");
        else if (value.Tensor is { } tensor && tensor.requires_grad && !tensor.is_leaf)
            throw new HypergradException(
                $"{GetType().Name}: {hyperparameter} is a tensor computed from other tensors (for example LogLr.exp()), evaluated once, when the optimizer was created. " +
                $"When the outer variable it comes from changes, this tensor keeps its old value, so every hypergradient after the first outer step would be wrong. " +
                "Pass the expression as a function, evaluated at every step: " +
                (hyperparameter == "learningRate"
                    ? $"new {GetType().Name}(learningRate: () => LogLr.exp())"
                    : $"new {GetType().Name}(…, {hyperparameter}: Hyperparameter.PerStep(() => LogLr.exp()))") +
                ", or pass the outer variable itself (a leaf tensor).");
        hyperparameters.Add((hyperparameter, value));
        return value;
    }

    /// <summary>The gradient with L2 weight decay added (decay × parameter), as torch.optim does it.</summary>
    protected static Tensor WithWeightDecay(Tensor gradient, Tensor parameter, Hyperparameter weightDecay) =>
        weightDecay.IsZero ? gradient : gradient.Plus(weightDecay.Times(parameter));
}
