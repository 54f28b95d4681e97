using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace Hypergrad.Benchmarks.Comparison;

/// <summary>
/// The two step sizes every method is given: <see cref="Inner"/> for the inner variables w (the inner SGD, and the
/// auxiliary variables of single-loop methods), <see cref="Outer"/> for plain SGD on the outer variables λ.
/// </summary>
public sealed record StepSizes(double Inner, double Outer)
{
    /// <summary>"η 0.5, β 1e+03".</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"η {Inner:G3}, β {Outer:G3}");
}

/// <summary>The grid the step sizes are tuned on, the same for every method of a task.</summary>
/// <param name="Inner">Inner step sizes η.</param>
/// <param name="Outer">Outer step sizes β.</param>
public sealed record StepGrid(IReadOnlyList<double> Inner, IReadOnlyList<double> Outer)
{
    /// <summary>Every pair, inner step sizes outermost.</summary>
    public IEnumerable<StepSizes> Points => Inner.SelectMany(inner => Outer.Select(outer => new StepSizes(inner, outer)));

    /// <summary>"η ∈ {0.1, 0.5}, β ∈ {1, 10, 100}".</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"η ∈ {{{string.Join(", ", Inner.Select(v => v.ToString("G3", CultureInfo.InvariantCulture)))}}}, " +
        $"β ∈ {{{string.Join(", ", Outer.Select(v => v.ToString("G3", CultureInfo.InvariantCulture)))}}}");
}
