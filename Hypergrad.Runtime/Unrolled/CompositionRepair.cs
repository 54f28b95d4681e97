// Linked into the analyzers like CompositionRules.cs (same restrictions: netstandard2.0 BCL only), so the
// list HG0013 proposes, and its code fix writes, is checked by the very rules the runtime applies.
using System.Collections.Generic;
using System.Linq;

namespace Hypergrad.Unrolled;

/// <summary>
/// A valid composition close to an invalid one: the largest subset of its operations, in stage order, that
/// <see cref="CompositionRules.Validate"/> accepts (with ReverseUnroll added when no subset computes a
/// hypergradient). Never proposes a list that itself breaks a rule.
/// </summary>
internal static class CompositionRepair
{
    /// <summary>
    /// The valid list keeping the most of <paramref name="operations"/> (ties: the one keeping earlier-listed
    /// operations), for the same step counts and GDA weights <see cref="CompositionRules.Validate"/> is given.
    /// </summary>
    public static Operation[] ClosestValid(IReadOnlyList<Operation> operations, int innerSteps,
        int truncationSteps = 0, double aggregationAlpha = 0.5, double aggregationDecay = 1.0)
    {
        var distinct = operations.Distinct().ToList();
        Operation[]? best = null;
        int bestKept = -1;
        // Subsets by bit mask; a larger mask over the same size keeps earlier-listed operations.
        for (int mask = (1 << distinct.Count) - 1; mask >= 0; mask--)
        {
            var kept = distinct.Where((_, i) => (mask & (1 << i)) != 0).ToList();
            foreach (var candidate in new[] { kept, kept.Concat(new[] { Operation.ReverseUnroll }).Distinct().ToList() })
            {
                var ordered = candidate.OrderBy(o => (int)CompositionRules.StageOf(o)).ThenBy(o => (int)o).ToArray();
                if (kept.Count > bestKept && CompositionRules.Validate(ordered, innerSteps, truncationSteps, aggregationAlpha, aggregationDecay) == null)
                {
                    best = ordered;
                    bestKept = kept.Count;
                }
            }
        }
        // [ReverseUnroll] alone is valid whenever innerSteps ≥ 1 (the empty subset above tries it).
        return best ?? new[] { Operation.ReverseUnroll };
    }
}
