using System;
using System.Collections.Generic;
using System.Linq;
using Hypergrad.Parameters;
using static TorchSharp.torch;

namespace Hypergrad.Solving;

/// <summary>
/// Bounds of an <c>[Outer]</c> member (<c>[Outer(Min = 0, Max = 10)]</c>): after every outer step, <c>Run</c> clamps the
/// member's values (every tensor of a module member) into [<paramref name="Min"/>, <paramref name="Max"/>] — a
/// projection, whichever optimizer took the step. An infinite bound is no bound.
/// </summary>
/// <param name="Member">The <c>[Outer]</c> member's name (a module's tensors are "Member.parameter").</param>
/// <param name="Min">The smallest value allowed; <c>double.NegativeInfinity</c> for none.</param>
/// <param name="Max">The largest value allowed; <c>double.PositiveInfinity</c> for none.</param>
public sealed record OuterBound(string Member, double Min, double Max)
{
    /// <summary>Clamps every outer variable of a bounded member into its bounds, in place.</summary>
    /// <param name="problem">The problem, for messages.</param>
    /// <param name="bounds">The bounds, one per bounded member.</param>
    /// <param name="outer">The outer variables.</param>
    internal static void Apply(string problem, IReadOnlyList<OuterBound> bounds, ParameterSet outer)
    {
        if (bounds.Count == 0) return;
        using var noGrad = no_grad();
        foreach (var bound in bounds)
        {
            bool found = false;
            foreach (var (name, variable) in outer)
            {
                if (name != bound.Member && !name.StartsWith(bound.Member + ".", StringComparison.Ordinal)) continue;
                found = true;
                variable.ClampTo_(bound.Min, bound.Max);
            }
            if (!found)
                throw new HypergradException(
                    $"{problem}: the bounds of '{bound.Member}' name no outer variable (the outer variables are {string.Join(", ", outer.Names)}); bound an [Outer] member.");
        }
    }

    /// <summary>Throws a <see cref="HypergradException"/> naming the member when its bounds are not an interval.</summary>
    internal static IReadOnlyList<OuterBound> Validated(string problem, IReadOnlyList<OuterBound>? bounds)
    {
        if (bounds is null) return Array.Empty<OuterBound>();
        foreach (var bound in bounds)
        {
            if (double.IsNaN(bound.Min) || double.IsNaN(bound.Max) || bound.Min > bound.Max || bound.Min == double.PositiveInfinity || bound.Max == double.NegativeInfinity)
                throw new HypergradException(
                    $"{problem}: [Outer] member '{bound.Member}' has Min = {bound.Min} and Max = {bound.Max}, which is not an interval; set Min ≤ Max (finite, or ±infinity for no bound).");
        }
        return bounds.ToArray();
    }
}
