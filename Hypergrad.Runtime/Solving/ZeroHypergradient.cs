using Hypergrad.Parameters;
using TorchSharp;
using static TorchSharp.torch;

namespace Hypergrad.Solving;

/// <summary>
/// Refuses a run whose first hypergradient is exactly zero for an outer variable: the outer optimizer would never
/// move it, and every later number would look like a converged run.
/// </summary>
internal static class ZeroHypergradient
{
    /// <summary>Throws a <see cref="HypergradException"/> naming the first outer variable whose <c>.grad</c> is absent or all zeros.</summary>
    public static void RefuseAtFirstStep(string problem, ParameterSet outer, HypergradientResult result)
    {
        using var scope = NewDisposeScope();
        foreach (var (name, variable) in outer)
        {
            var grad = variable.grad;
            if (grad is not null && !grad.IsInvalid && grad.count_nonzero().ToInt64() > 0) continue;
            throw new HypergradException(
                $"{problem}: the hypergradient of outer variable '{name}' is exactly zero at the first outer step, so the outer optimizer would never move it. " +
                "Usually neither objective uses it, or they see it only through a value computed once from it (an optimizer built with it before the run: " +
                "evaluate it per step), or it sits where the objectives are flat. Use it in an objective, remove its [Outer] mark, or start it elsewhere." +
                (result.Warnings.Count > 0 ? " The hypergradient's warnings: " + string.Join(" ", result.Warnings) : ""));
        }
    }
}
