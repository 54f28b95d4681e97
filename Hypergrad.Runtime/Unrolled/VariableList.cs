using System.Collections.Generic;
using System.Linq;
using Hypergrad.Parameters;
using static TorchSharp.torch;

namespace Hypergrad.Unrolled;

/// <summary>
/// The tensors a hypergradient is taken with respect to, with their names: the user's outer variables
/// themselves, and optionally a flat tensor laid out like a parameter set (the inner initialization),
/// whose gradient is reported per variable under the set's names.
/// </summary>
sealed class VariableList
{
    readonly List<Tensor> tensors = new();
    readonly List<string> names = new();
    readonly List<ParameterSet?> layouts = new();

    /// <summary>The variables of <paramref name="set"/> (none for null).</summary>
    public static VariableList Of(ParameterSet? set)
    {
        var list = new VariableList();
        if (set is not null)
            foreach (var (name, tensor) in set) list.Add(name, tensor, null);
        return list;
    }

    /// <summary>Adds a flat tensor laid out like <paramref name="set"/>.</summary>
    public void AddFlat(ParameterSet set, Tensor flat) => Add(string.Join(", ", set.Names), flat, set);

    public int Count => tensors.Count;
    public Tensor[] Tensors => tensors.ToArray();
    public string[] Names => names.ToArray();

    /// <summary>A copy with the entries from <paramref name="first"/> on.</summary>
    public VariableList From(int first)
    {
        var list = new VariableList();
        for (int i = first; i < Count; i++) list.Add(names[i], tensors[i], layouts[i]);
        return list;
    }

    /// <summary>Names one gradient per entry; a flat entry's gradient becomes one view per variable of its set.</summary>
    public IEnumerable<NamedTensor> Name(IReadOnlyList<Tensor> gradients)
    {
        for (int i = 0; i < Count; i++)
        {
            if (layouts[i] is { } set)
                for (int j = 0; j < set.Count; j++) yield return new NamedTensor(set[j].Name, set.View(gradients[i], j));
            else yield return new NamedTensor(names[i], gradients[i]);
        }
    }

    void Add(string name, Tensor tensor, ParameterSet? layout) { names.Add(name); tensors.Add(tensor); layouts.Add(layout); }
}
