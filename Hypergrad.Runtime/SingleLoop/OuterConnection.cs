using System;
using System.Linq;
using Hypergrad.Autograd;
using Hypergrad.Parameters;
using static TorchSharp.torch;

namespace Hypergrad.SingleLoop;

/// <summary>
/// The joint methods' counterpart of the first-step zero-hypergradient refusal of the other methods. Their first λ
/// direction can be zero for a sound problem (SOBA's z starts at 0), so the value cannot be tested; the structure can:
/// an outer variable on which neither F nor ∇_w g depends (checked with autograd on the run's first batches) has a
/// hypergradient that is exactly zero at every step, and the run would look converged while λ never moves. Some methods
/// step w before they draw the outer batch (AmIGO's inner steps), so w's starting values are kept until the check is
/// done and put back when it refuses: nothing the user trained is changed by a refused run.
/// </summary>
internal sealed class OuterConnection : IDisposable
{
    private readonly string problem, innerObjective, outerObjective;
    private readonly ParameterSet inner, outer;
    private Tensor[]? start;
    private bool[]? throughInner, throughOuter;

    public OuterConnection(string problem, ParameterSet inner, ParameterSet outer, string innerObjective, string outerObjective)
    {
        (this.problem, this.inner, this.outer, this.innerObjective, this.outerObjective) = (problem, inner, outer, innerObjective, outerObjective);
        start = inner.Select(v => v.Tensor.detach().clone().DetachFromDisposeScope()).ToArray();
    }

    /// <summary>Which outer variables ∇_w g depends on, from g on the first inner batch (later calls do nothing).</summary>
    public void CheckInner(Func<Tensor> objective)
    {
        if (throughInner is not null) return;   // AmIGO and StocBiO draw several inner batches before the outer one: the first tells
        using var scope = NewDisposeScope();
        using var grad = enable_grad();
        var innerTensors = inner.Select(v => v.Tensor).ToArray();
        var gradient = Gradients.Of(objective(), $"inner objective {innerObjective}", innerTensors, inner.Names.ToArray(),
            createGraph: true, unused: UnusedInput.Zero);
        var tracked = gradient.Where(g => g.requires_grad).ToArray();
        throughInner = new bool[outer.Count];
        if (tracked.Length > 0)
        {
            var total = tracked.Select(g => g.sum()).Aggregate((a, b) => a.Plus(b));
            Gradients.Of(total, $"gradient of the inner objective {innerObjective}", outer.Select(v => v.Tensor).ToArray(), outer.Names.ToArray(),
                unused: UnusedInput.Zero, dependsOn: throughInner);
        }
        Refuse();
    }

    /// <summary>Which outer variables F depends on, from F on the first outer batch (later calls do nothing).</summary>
    public void CheckOuter(Func<Tensor> objective)
    {
        if (throughOuter is not null) return;
        using var scope = NewDisposeScope();
        using var grad = enable_grad();
        var value = objective();
        throughOuter = new bool[outer.Count];
        if (value.requires_grad)
            Gradients.Of(value, $"outer objective {outerObjective}", outer.Select(v => v.Tensor).ToArray(), outer.Names.ToArray(),
                unused: UnusedInput.Zero, dependsOn: throughOuter);
        Refuse();
    }

    private void Refuse()
    {
        if (throughInner is null || throughOuter is null) return;
        for (int j = 0; j < outer.Count; j++)
        {
            if (throughInner[j] || throughOuter[j]) continue;
            using (no_grad())
                for (int i = 0; i < inner.Count; i++) inner[i].Tensor.copy_(start![i]);
            Dispose();
            throw new HypergradException(
                $"{problem}: outer variable '{outer[j].Name}' reaches neither the outer objective {outerObjective} nor the gradient of the inner objective " +
                $"{innerObjective} with respect to the inner variables (checked on the first batches), so its hypergradient is exactly zero at every step " +
                "and the run would never move it. Usually neither objective uses it, or they see it only through a value computed once from it " +
                "(evaluate it per step), or the inner objective uses it only in a term without the inner variables. Use it in an objective, or remove its [Outer] mark.");
        }
        Dispose();
    }

    public void Dispose()
    {
        foreach (var t in start ?? []) t.Dispose();
        start = null;
    }
}
