using System;
using System.Linq;
using Hypergrad.Autograd;
using Hypergrad.Parameters;
using static TorchSharp.torch;

namespace Hypergrad.Optimizers;

/// <summary>
/// The object-style differentiable optimizer over a TorchSharp module (TorchOpt's MetaOptimizer; with
/// <see cref="DifferentiableSgd"/> it is MetaSGD, with <see cref="DifferentiableAdam"/> MetaAdam, and so on). While it is active the
/// module runs its own forward with the latest non-leaf parameters, so a loss computed after k calls of
/// <see cref="Step"/> is differentiable with respect to the module's original Parameters (MAML), and
/// <c>loss.backward()</c> reaches them once the module is restored.
/// </summary>
/// <remarks>
/// <para>Typical use:</para>
/// <code>
/// var meta = new MetaOptimizer(net, new DifferentiableSgd(0.1));
/// for (int k = 0; k &lt; 5; k++) meta.Step(mse_loss(net.call(x), y));
/// var outer = mse_loss(net.call(xValidation), yValidation);   // through the 5 steps
/// meta.Restore();                                             // net uses its own Parameters again, values unchanged
/// outer.backward();                                           // .grad of net's Parameters: the meta-gradient
/// </code>
/// <para>
/// Parameters are substituted through the module's <see cref="ParameterSet"/> (no second mechanism):
/// the module's Parameter objects are never replaced, and <see cref="Restore"/> (or <see cref="Dispose"/>)
/// gives them back exactly. Do not substitute the same module elsewhere while a MetaOptimizer is active.
/// </para>
/// </remarks>
public sealed class MetaOptimizer : IDisposable
{
    readonly ParameterSet set;
    readonly bool ownsSet;
    readonly string[] currentName;   // how gradient errors name the flat parameters, joined once rather than at every step
    Substitution? substitution;
    Tensor current;
    OptimizerState state;

    /// <summary>Wraps <paramref name="module"/>; its trainable parameters are the optimized variables.</summary>
    /// <param name="module">The user's module.</param>
    /// <param name="optimizer">The differentiable update rule.</param>
    /// <param name="name">The member name used in errors ("Model" → "Model.weight").</param>
    public MetaOptimizer(nn.Module module, DifferentiableOptimizer optimizer, string name = "Model")
        : this(new ParameterSet((name, module)), optimizer, ownsSet: true) { }

    /// <summary>Wraps the variables of an existing parameter set.</summary>
    public MetaOptimizer(ParameterSet variables, DifferentiableOptimizer optimizer) : this(variables, optimizer, ownsSet: false) { }

    MetaOptimizer(ParameterSet variables, DifferentiableOptimizer optimizer, bool ownsSet)
    {
        set = variables;
        this.ownsSet = ownsSet;
        currentName = [string.Join(", ", set.Names)];
        Optimizer = optimizer ?? throw new HypergradException("MetaOptimizer needs a differentiable optimizer, e.g. new DifferentiableSgd(0.1).");
        // A differentiable copy of the variables (cat of the Parameters themselves), so the graph of every
        // step reaches the module's own Parameters.
        current = set.Flatten(set.Select(v => v.Tensor).ToArray()).DetachFromDisposeScope();
        state = Optimizer.Init([current]).DetachFromDisposeScope();
        substitution = set.Substitute(current);
    }

    /// <summary>The update rule.</summary>
    public DifferentiableOptimizer Optimizer { get; }

    /// <summary>The variables (names and the user's own tensor objects).</summary>
    public ParameterSet Variables => set;

    /// <summary>The current parameters as one flat tensor in the autograd graph of the original ones.</summary>
    public Tensor Current => current;

    /// <summary>The current optimizer state.</summary>
    public OptimizerState State => state;

    /// <summary>
    /// One differentiable step on <paramref name="loss"/> (computed with the module after the previous steps):
    /// the module then computes with the updated, non-leaf parameters.
    /// </summary>
    public void Step(Tensor loss)
    {
        ThrowIfRestored();
        using var enableGrad = enable_grad();
        using var scope = NewDisposeScope();
        var gradient = Gradients.Of(loss, "loss given to MetaOptimizer.Step", [current], currentName, createGraph: true, unused: UnusedInput.Zero)[0];
        var next = Optimizer.Step([current], [gradient], state);
        Replace(next.Parameters[0].MoveToOuterDisposeScope(), next.State);
    }

    /// <summary>A reference to the current parameters and optimizer state (TorchOpt's <c>extract_state_dict(by='reference')</c>),
    /// for <see cref="Recover"/>. The caller owns the returned handles.</summary>
    public (Tensor Parameters, OptimizerState State) Extract() => (current.alias(), state.Alias());

    /// <summary>Continues from an extracted point: the module computes with those parameters again.</summary>
    public void Recover((Tensor Parameters, OptimizerState State) snapshot)
    {
        ThrowIfRestored();
        if (snapshot.Parameters.numel() != set.Size)
            throw new HypergradException($"The snapshot has {snapshot.Parameters.numel()} values but the module has {set.Size}; recover a snapshot extracted from this MetaOptimizer.");
        Replace(snapshot.Parameters.alias(), snapshot.State.Alias());
    }

    /// <summary>Stop-gradient: keeps the current values but cuts them (and the state) from the graph of earlier steps.</summary>
    public void StopGradient()
    {
        ThrowIfRestored();
        Replace(current.detach().requires_grad_(true), state.Detach());
    }

    /// <summary>The module computes with its own Parameters again (same objects, original values). Idempotent.</summary>
    public void Restore()
    {
        substitution?.Dispose();
        substitution = null;
    }

    /// <summary>Restores the module and frees the current tensors.</summary>
    public void Dispose()
    {
        Restore();
        current.Dispose();
        state.DisposeTensors();
        if (ownsSet) set.Dispose();
    }

    void Replace(Tensor parameters, OptimizerState newState)
    {
        substitution?.Dispose();
        current.Dispose();                       // the autograd graph keeps what backward still needs
        state.DisposeTensorsReplacedBy(newState);
        current = parameters.DetachFromDisposeScope();
        state = newState.DetachFromDisposeScope();
        substitution = set.Substitute(current);
    }

    void ThrowIfRestored()
    {
        if (substitution is null)
            throw new HypergradException("This MetaOptimizer was restored (or disposed): the module uses its own Parameters again. Create a new MetaOptimizer to take more differentiable steps.");
    }
}
