using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Hypergrad.Optimizers;
using Hypergrad.Parameters;
using TorchSharp;
using OptimizerHelper = TorchSharp.Modules.OptimizerHelper;
using static TorchSharp.torch;

namespace Hypergrad.Solving;

/// <summary>
/// The optimizer of the outer variables: any <c>torch.optim</c> optimizer built over them, or one of the runtime's
/// differentiable optimizers (used in place). Both convert implicitly, so
/// <c>OuterOptimizer = torch.optim.SGD(new[] { problem.LogDecay }, 1.0, momentum: 0.9)</c> and
/// <c>OuterOptimizer = new DifferentiableSgd(1.0)</c> both work.
/// </summary>
public sealed class OuterOptimizer
{
    private readonly optim.Optimizer? builtIn;
    private readonly DifferentiableOptimizer? differentiable;
    private OptimizerState? state;

    private OuterOptimizer(optim.Optimizer? builtIn, DifferentiableOptimizer? differentiable)
    {
        this.builtIn = builtIn;
        this.differentiable = differentiable;
    }

    /// <summary>Uses a <c>torch.optim</c> optimizer built over the outer variables.</summary>
    public static implicit operator OuterOptimizer(optim.Optimizer optimizer) => new(optimizer ?? throw new ArgumentNullException(nameof(optimizer)), null);

    /// <summary>Uses a differentiable optimizer of the runtime, stepped in place over the outer variables.</summary>
    public static implicit operator OuterOptimizer(DifferentiableOptimizer optimizer) => new(null, optimizer ?? throw new ArgumentNullException(nameof(optimizer)));

    /// <summary>Creates the differentiable optimizer's state for <paramref name="outer"/> (outside any per-step dispose scope).</summary>
    internal void Bind(ParameterSet outer)
    {
        if (differentiable is not null) state ??= differentiable.Init(outer.Select(v => v.Tensor).ToArray());
    }

    /// <summary>
    /// Refuses a <c>torch.optim</c> optimizer that does not hold every outer variable (e.g. one built over the model's
    /// parameters): the outer step would leave those variables where they are, silently.
    /// </summary>
    internal void CheckHolds(ParameterSet outer, string problem)
    {
        if (builtIn is null) return;   // a differentiable optimizer is bound to the outer set itself
        var held = builtIn.parameters().ToList();
        var missing = outer.Where(v => !held.Any(p => ReferenceEquals(p, v.Tensor) || p.Handle == v.Tensor.Handle)).Select(v => v.Name).ToList();
        if (missing.Count == 0) return;
        throw new HypergradException(
            $"{problem}: BilevelOptions.OuterOptimizer ({builtIn.GetType().Name}) does not hold the outer variable{(missing.Count > 1 ? "s" : "")} " +
            $"{string.Join(", ", missing.Select(m => $"'{m}'"))}, so the outer steps would never move {(missing.Count > 1 ? "them" : "it")} " +
            $"(it holds {held.Count} other tensor{(held.Count == 1 ? "" : "s")}, e.g. a model's parameters). Build it over the [Outer] members, " +
            $"e.g. torch.optim.Adam(new[] {{ problem.{missing[0].Split('.')[0]} }}, lr), or use a Hypergrad.Optimizers optimizer (bound to the outer variables by Run).");
    }

    /// <summary>Reports the optimizer's kind and hyperparameters (for a checkpoint's settings fingerprint).</summary>
    internal void Describe(Action<string, string> add)
    {
        var entries = new List<(string Name, string Value)>();
        if (differentiable is not null) SettingsFingerprint.AddObject(entries, "", differentiable);
        else if (builtIn is OptimizerHelper helper)
        {
            entries.Add(("", builtIn.GetType().Name));
            int group = 0;
            foreach (var paramGroup in helper.ParamGroups)
                if (paramGroup is TorchSharp.Modules.ParamGroup withOptions) SettingsFingerprint.AddProperties(entries, $".group{group++}", withOptions.Options);
        }
        else if (builtIn is not null) entries.Add(("", builtIn.GetType().Name));
        foreach (var (name, value) in entries) add(name, value);
    }

    /// <summary>Clears the outer variables' <c>.grad</c> before a hypergradient is accumulated into it.</summary>
    internal void ZeroGrad(ParameterSet outer)
    {
        if (builtIn is not null)
        {
            builtIn.zero_grad();
            return;
        }
        using var noGrad = no_grad();
        foreach (var (_, variable) in outer)
        {
            using var grad = variable.grad;
            if (grad is not null && !grad.IsInvalid) grad.zero_();
        }
    }

    /// <summary>Steps the outer variables along their <c>.grad</c>.</summary>
    internal void Step(ParameterSet outer)
    {
        if (builtIn is not null)
        {
            builtIn.step();
            return;
        }
        var variables = outer.Select(v => v.Tensor).ToArray();
        Bind(outer);
        var gradients = outer.Select(v => v.Tensor.grad ?? throw new HypergradException(
            $"Outer variable '{v.Name}' has no gradient to step along; the hypergradient was not accumulated into it.")).ToArray();
        differentiable!.StepInPlace(variables, gradients, state!);
    }

    /// <summary>Writes the optimizer's state (momenta, step counts) into a checkpoint.</summary>
    internal void Save(BinaryWriter writer, ParameterSet outer)
    {
        if (builtIn is OptimizerHelper helper)
        {
            writer.Write((byte)1);
            helper.save_state_dict(writer);
            return;
        }
        if (builtIn is not null)
            throw new HypergradException($"The outer optimizer {builtIn.GetType().Name} cannot save its state; use a torch.optim optimizer or a Hypergrad.Optimizers one to checkpoint.");
        writer.Write((byte)2);
        Bind(outer);
        CheckpointFile.WriteState(writer, state!);
    }

    /// <summary>Restores the state written by <see cref="Save"/>.</summary>
    internal void Load(BinaryReader reader, ParameterSet outer)
    {
        byte kind = reader.ReadByte();
        if (kind == 1 && builtIn is OptimizerHelper helper)
        {
            helper.load_state_dict(reader);
            return;
        }
        if (kind == 2 && differentiable is not null)
        {
            Bind(outer);
            CheckpointFile.ReadStateInto(reader, state!, "outer optimizer");
            return;
        }
        throw new HypergradException("The checkpoint's outer optimizer is of another kind (torch.optim vs Hypergrad.Optimizers) than this run's; resume with the same kind of optimizer, or delete the checkpoint to start afresh.");
    }
}
