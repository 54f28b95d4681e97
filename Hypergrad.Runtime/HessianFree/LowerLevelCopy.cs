using System.IO;
using Hypergrad.Parameters;
using Hypergrad.SingleLoop;
using System;
using TorchSharp;
using static TorchSharp.torch;

namespace Hypergrad.HessianFree;

/// <summary>
/// The second copy y of the inner variables that the Hessian-free methods keep near the lower-level minimizer
/// y*(λ) = argmin g(·, λ), stepped by plain gradient descent (step AuxiliaryStepSize): their only access to the
/// value function v(λ) = g(y*(λ), λ), whose gradient is ∇_λ g(y*, λ) (Danskin) — no Hessian needed.
/// </summary>
internal sealed class LowerLevelCopy : System.IDisposable
{
    private Tensor? y;

    /// <summary>The copy (initialized from the inner variables at first use).</summary>
    public Tensor Value(ParameterSet inner) => y ??= inner.Flat.detach().clone().DetachFromDisposeScope();

    /// <summary>One gradient step y ← y − step ∇_y g on <paramref name="objective"/>'s batch; refuses a non-finite result.</summary>
    public void Step(JointOracles oracles, ParameterSet inner, System.Func<Tensor> objective, double step, System.Action<Tensor, string> requireFinite)
    {
        var current = Value(inner);
        var sample = oracles.Inner(objective, at: current);
        var next = current - sample.GradW.Scaled(step);
        requireFinite(next, "the lower-level copy y");
        using (no_grad()) current.copy_(next);
    }

    /// <summary>Starts the copy again from <paramref name="from"/> (BOME: from the current inner variables).</summary>
    public void Reset(Tensor from)
    {
        y?.Dispose();
        y = from.detach().clone().DetachFromDisposeScope();
    }

    public void Save(BinaryWriter writer)
    {
        writer.Write(y is not null);
        y?.Save(writer);
    }

    public void Load(BinaryReader reader)
    {
        y?.Dispose();
        y = reader.ReadBoolean() ? Tensor.Load(reader).DetachFromDisposeScope() : null;
    }

    public void Dispose()
    {
        y?.Dispose();
        y = null;
    }
}
