using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace Hypergrad.Optimizers;

/// <summary>
/// The state of a differentiable optimizer: the number of steps taken and, per parameter, one tensor per
/// named slot (for example Adam's "exp_avg" and "exp_avg_sq"). Out-of-place steps return a new state
/// whose tensors stay in the autograd graph; <see cref="Detach"/> is the stop-gradient.
/// </summary>
public sealed class OptimizerState
{
    readonly Tensor[][] _slots;   // [parameter][slot]

    /// <summary>Creates a state from its parts (the optimizer's <c>Init</c> is the usual way).</summary>
    public OptimizerState(int steps, IReadOnlyList<string> slotNames, Tensor[][] slots)
    {
        if (slots.Any(s => s.Length != slotNames.Count))
            throw new ArgumentException($"Every parameter needs {slotNames.Count} slot tensors ({string.Join(", ", slotNames)}).", nameof(slots));
        Steps = steps;
        SlotNames = slotNames;
        _slots = slots;
    }

    /// <summary>How many steps have been taken (the bias corrections and schedules use it).</summary>
    public int Steps { get; internal set; }

    /// <summary>The slot names, e.g. "exp_avg", "exp_avg_sq".</summary>
    public IReadOnlyList<string> SlotNames { get; }

    /// <summary>How many parameters the state is for.</summary>
    public int ParameterCount => _slots.Length;

    /// <summary>The slot tensors of parameter <paramref name="parameter"/>, in <see cref="SlotNames"/> order.</summary>
    public IReadOnlyList<Tensor> SlotsOf(int parameter) => _slots[parameter];

    /// <summary>The tensor of slot <paramref name="slotName"/> of parameter <paramref name="parameter"/>.</summary>
    public Tensor this[int parameter, string slotName]
    {
        get
        {
            int index = SlotNames.ToList().IndexOf(slotName);
            if (index < 0) throw new HypergradException($"This optimizer state has no slot '{slotName}'; its slots are {string.Join(", ", SlotNames)}.");
            return _slots[parameter][index];
        }
    }

    /// <summary>Stop-gradient: a state with the same values, cut from the autograd graph (shares storage).</summary>
    public OptimizerState Detach() => Map(t => t.detach());

    /// <summary>A deep copy cut from the autograd graph (TorchOpt's <c>by='deepcopy'</c>).</summary>
    public OptimizerState Clone() => Map(t => t.detach().clone());

    /// <summary>The same tensors (graph included) under new handles: a reference the caller owns and may dispose.</summary>
    public OptimizerState Alias() => Map(t => t.alias());

    /// <summary>Takes every tensor out of the current dispose scope (the holder disposes them).</summary>
    internal OptimizerState DetachFromDisposeScope()
    {
        foreach (var slots in _slots) foreach (var t in slots) t.DetachFromDisposeScope();
        return this;
    }

    /// <summary>Disposes every tensor handle (the autograd graph keeps what it still needs).</summary>
    internal void DisposeTensors()
    {
        foreach (var slots in _slots) foreach (var t in slots) t.Dispose();
    }

    /// <summary>
    /// Disposes the handles of this state that <paramref name="next"/> does not reuse: an update may leave a slot as
    /// it was (RMSProp's grad_avg when not centered), and then both states hold the very same tensor.
    /// </summary>
    internal void DisposeTensorsReplacedBy(OptimizerState next)
    {
        for (int p = 0; p < _slots.Length; p++)
            foreach (var t in _slots[p])
                if (p >= next._slots.Length || !next._slots[p].Any(kept => ReferenceEquals(kept, t))) t.Dispose();
    }

    /// <summary>Copies <paramref name="source"/>'s values into this state's tensors in place (under no_grad).</summary>
    public void CopyFrom(OptimizerState source)
    {
        if (source.ParameterCount != ParameterCount || !source.SlotNames.SequenceEqual(SlotNames))
            throw new HypergradException("The optimizer state to recover has a different layout (parameters or slots) than this one; recover a state extracted from the same optimizer.");
        using (no_grad())
            for (int p = 0; p < _slots.Length; p++)
                for (int s = 0; s < SlotNames.Count; s++)
                    _slots[p][s].copy_(source._slots[p][s]);
        Steps = source.Steps;
    }

    OptimizerState Map(Func<Tensor, Tensor> map) =>
        new(Steps, SlotNames, _slots.Select(s => s.Select(map).ToArray()).ToArray());
}
