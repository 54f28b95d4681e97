using System;
using System.Collections.Generic;
using System.Linq;
using Hypergrad.Parameters;
using static TorchSharp.torch;

namespace Hypergrad.Solving;

/// <summary>
/// Meta-learning (MAML, iMAML): inner variables that start every outer step's inner steps from outer variables θ
/// (the meta-initialization). Pairs tensors by name: inner member "Model" with outer member "MetaInit" pairs
/// "Model.weight" with "MetaInit.weight".
/// </summary>
public sealed class Initialization
{
    private readonly ParameterSet inner, outer;
    private readonly (int Inner, int Outer)[] pairs;

    /// <summary>Resolves (inner member, outer member) pairs to tensor pairs; throws when names or shapes do not match.</summary>
    public Initialization(string problem, ParameterSet inner, ParameterSet outer, IReadOnlyList<(string Inner, string Outer)> members)
    {
        this.inner = inner;
        this.outer = outer;
        var resolved = new List<(int, int)>();
        foreach (var (innerMember, outerMember) in members)
        {
            var innerTensors = Members(inner, innerMember);
            var outerTensors = Members(outer, outerMember);
            if (innerTensors.Count == 0 || innerTensors.Count != outerTensors.Count)
                throw new HypergradException(
                    $"{problem}: inner variable '{innerMember}' ({innerTensors.Count} tensors) cannot be initialized from outer variable '{outerMember}' ({outerTensors.Count} tensors); " +
                    "give the meta-initialization the same architecture as the inner model.");
            foreach (var (i, suffix) in innerTensors)
            {
                int o = outerTensors.FirstOrDefault(t => t.Suffix == suffix).Index;
                if (outer[o].Name != outerMember + suffix || !inner[i].Tensor.shape.SequenceEqual(outer[o].Tensor.shape))
                    throw new HypergradException(
                        $"{problem}: inner tensor '{inner[i].Name}' [{string.Join(", ", inner[i].Tensor.shape)}] has no outer counterpart '{outerMember + suffix}' of the same shape; " +
                        "give the meta-initialization the same architecture as the inner model.");
                resolved.Add((i, o));
            }
        }
        pairs = resolved.ToArray();
    }

    /// <summary>w ← θ for every pair (in place, not recorded by autograd).</summary>
    public void Reset()
    {
        using var noGrad = no_grad();
        foreach (var (i, o) in pairs) inner[i].Tensor.copy_(outer[o].Tensor);
    }

    /// <summary>
    /// Adds a composition's gradients to <c>.grad</c>: the outer variables' own (the first ones), and the inner
    /// initialization's (named like the inner variables) to the outer variables they were reset from.
    /// </summary>
    public void AccumulateInto(HypergradientResult result)
    {
        using var noGrad = no_grad();
        for (int k = 0; k < result.Gradients.Count; k++)
        {
            var (name, gradient) = result.Gradients[k];
            int target = k < outer.Count ? k : OuterIndexInitializing(name);
            if (target < 0)
                throw new HypergradException($"The hypergradient of the initialization of '{name}' has no [Outer] variable to go to; mark that inner variable [Inner(InitializedFrom = …)].");
            AddToGrad(outer[target].Tensor, gradient);
        }
    }

    /// <summary>
    /// <paramref name="result"/> without its "hypergradient of θ is exactly zero" warnings for outer variables θ whose
    /// initialization gradient (that of the inner variable reset from θ) is not zero: θ's total gradient is not zero.
    /// </summary>
    internal HypergradientResult WithoutZeroWarningsOfInitialized(HypergradientResult result)
    {
        var initialized = new HashSet<string>();
        for (int k = outer.Count; k < result.Gradients.Count; k++)
        {
            var (name, gradient) = result.Gradients[k];
            int target = OuterIndexInitializing(name);
            if (target >= 0 && gradient.count_nonzero().item<long>() > 0) initialized.Add(outer[target].Name);
        }
        var kept = result.Warnings.Where(w => !initialized.Any(name => w.StartsWith($"The hypergradient of '{name}' is exactly zero", StringComparison.Ordinal))).ToArray();
        return kept.Length == result.Warnings.Count ? result : result.WithWarnings(kept);
    }

    /// <summary>The outer variable that inner variable <paramref name="innerName"/> is reset from, or -1.</summary>
    private int OuterIndexInitializing(string innerName)
    {
        foreach (var (i, o) in pairs)
            if (inner[i].Name == innerName) return o;
        return -1;
    }

    private static void AddToGrad(Tensor variable, Tensor gradient)
    {
        // .grad returns a new wrapper on each read and the setter shares the native tensor: dispose the wrappers.
        using var grad = variable.grad;
        if (grad is null || grad.IsInvalid)
        {
            using var copy = gradient.detach().clone();
            variable.grad = copy;
        }
        else grad.Plus_(gradient);
    }

    private static List<(int Index, string Suffix)> Members(ParameterSet set, string member) =>
        Enumerable.Range(0, set.Count)
            .Where(i => set[i].Name == member || set[i].Name.StartsWith(member + ".", StringComparison.Ordinal))
            .Select(i => (i, set[i].Name.Substring(member.Length)))
            .ToList();
}
