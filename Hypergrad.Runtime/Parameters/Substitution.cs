using System;
using System.Collections.Generic;
using System.Reflection;
using static TorchSharp.torch;

namespace Hypergrad.Parameters;

/// <summary>
/// While alive, every variable of a <see cref="ParameterSet"/> computes with a view of a substitute
/// flat tensor (or with a tensor of its own); disposing it restores the variables exactly. Created by <see cref="ParameterSet.Substitute(Tensor)"/>.
/// </summary>
/// <remarks>
/// How: a TorchSharp tensor object is a thin wrapper around one native handle. The scope points each
/// variable's wrapper (the very object that modules, closures and optimizers hold) at the native view
/// of the substitute, and puts the original handle back on dispose. This reaches module parameters,
/// stand-alone Parameters and plain tensors alike, whatever field or closure references them, and
/// creates no Parameter objects. It cannot reach weights that live only inside native modules
/// (Embedding, RNN/LSTM/GRU): <see cref="ParameterSet"/> refuses those when it is built.
/// </remarks>
public sealed class Substitution : IDisposable
{
    static readonly FieldInfo HandleField =
        typeof(Tensor).GetField("handle", BindingFlags.Instance | BindingFlags.NonPublic)
        ?? throw new HypergradException("This TorchSharp version has no Tensor.handle field, which parameter substitution needs; use TorchSharp 0.107.");

    readonly ParameterSet set;
    readonly Tensor[] views;
    readonly IntPtr[] originals;

    /// <param name="set">The set whose variables are redirected.</param>
    /// <param name="views">One tensor per variable, shaped like it; this scope owns (and finally disposes) them.</param>
    internal Substitution(ParameterSet set, Tensor[] views)
    {
        this.set = set;
        this.views = views;
        originals = new IntPtr[views.Length];
        for (int i = 0; i < views.Length; i++)
        {
            // Only this scope may dispose the views: a caller's dispose scope ending first would free a
            // handle the variable still points at.
            views[i].DetachFromDisposeScope();
            originals[i] = (IntPtr)HandleField.GetValue(set[i].Tensor)!;
            HandleField.SetValue(set[i].Tensor, views[i].Handle);
        }
    }

    /// <summary>The substituted views, one per variable in set order (shaped like the variables, part of the substitute's graph).</summary>
    public IReadOnlyList<Tensor> Views => views;

    /// <summary>Restores every variable's own tensor.</summary>
    public void Dispose()
    {
        if (set.ActiveSubstitution != this) return;
        for (int i = 0; i < views.Length; i++)
        {
            // User code that disposed the variable inside the scope (a using, a Dispose) freed the view's native
            // handle through the variable's wrapper: forget it in the view's wrapper too, or it would be freed twice.
            if ((IntPtr)HandleField.GetValue(set[i].Tensor)! == IntPtr.Zero)
            {
                HandleField.SetValue(views[i], IntPtr.Zero);
                Autograd.TensorCount.Forget(views[i]);   // the user's Dispose uncounted the variable's wrapper, which lives on
            }
            HandleField.SetValue(set[i].Tensor, originals[i]);
        }
        foreach (var view in views) view.Dispose();
        set.ActiveSubstitution = null;
        set.ActiveLeaves = Array.Empty<Tensor>();
    }
}
