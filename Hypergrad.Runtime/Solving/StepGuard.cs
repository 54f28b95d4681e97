using System;
using Hypergrad.Parameters;
using TorchSharp;
using static TorchSharp.torch;

namespace Hypergrad.Solving;

/// <summary>
/// Undoes an optimizer step that leaves a variable NaN or ±Inf, then throws a <see cref="HypergradException"/>
/// naming it: a diverging run stops with the last good values in place instead of carrying NaN forward.
/// </summary>
/// <remarks>
/// Costs one copy of the variables per step (into a buffer allocated once) and one reduction: the sum of the values
/// is finite only when every value is (NaN and ±Inf propagate), so the element-wise scan that names the broken
/// variables runs only when the sum is not finite (a sum can also overflow: the scan then finds nothing).
/// </remarks>
internal sealed class StepGuard : IDisposable
{
    private readonly string problemName;
    private readonly ParameterSet variables;
    private readonly string fix;
    private readonly Tensor before;

    /// <param name="problemName">The problem, for the message.</param>
    /// <param name="variables">The variables the guarded steps update.</param>
    /// <param name="fix">What the user should change when a step diverges.</param>
    public StepGuard(string problemName, ParameterSet variables, string fix)
    {
        this.problemName = problemName;
        this.variables = variables;
        this.fix = fix;
        before = variables.Flat.clone().DetachFromDisposeScope();   // Flat is a plain buffer: no graph to detach from
    }

    /// <summary>Records the current values; call right before the step.</summary>
    public void Remember() => before.copy_(variables.Flat);

    /// <summary>Restores the recorded values and throws when the step left any variable non-finite.</summary>
    /// <param name="step">The step, for the message, e.g. "outer step 3".</param>
    public void UndoIfNotFinite(string step)
    {
        if (AllFinite()) return;
        var broken = variables.NonFiniteVariables();
        if (broken.Count == 0) return;
        using (no_grad()) variables.Flat.copy_(before);
        throw new HypergradException(
            $"{problemName}: {step} diverged: it made {string.Join(", ", broken)} NaN or infinite; the variables are restored to their values " +
            $"before that step. {fix} The checkpoint, if any, keeps the last saved state.");
    }

    /// <summary>Restores the values recorded by the last <see cref="Remember"/>.</summary>
    public void Undo()
    {
        using (no_grad()) variables.Flat.copy_(before);
    }

    private bool AllFinite()
    {
        using var sum = variables.Flat.sum();
        return double.IsFinite(sum.ToDouble());
    }

    /// <summary>Frees the copy.</summary>
    public void Dispose() => before.Dispose();
}
