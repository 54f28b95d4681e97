using System.Collections.Generic;

namespace Hypergrad.Benchmarks.Comparison;

/// <summary>One problem of the comparison, with its registry of methods and its step-size grid.</summary>
public abstract class ComparisonTask
{
    /// <summary>The name on the command line (<c>--task</c>) and in file names.</summary>
    public abstract string Name { get; }

    /// <summary>The plot's title.</summary>
    public abstract string Title { get; }

    /// <summary>What the problem is, its data and sizes (printed before the runs).</summary>
    public abstract string Description { get; }

    /// <summary>CPU seconds per run unless the command line sets another budget: enough for the full-batch methods' tens of outer steps.</summary>
    public abstract double DefaultBudgetSeconds { get; }

    /// <summary>The step-size grid every method is tuned on.</summary>
    public abstract StepGrid Grid { get; }

    /// <summary>The registered methods, in table order.</summary>
    public abstract IReadOnlyList<string> Methods { get; }

    /// <summary>How <paramref name="method"/> works.</summary>
    public abstract MethodFamily FamilyOf(string method);

    /// <summary>The method's settings as its class's <c>[Hypergradient]</c> attribute gives them, and its batching.</summary>
    public abstract string SettingsOf(string method);

    /// <summary>Runs <paramref name="method"/> on <paramref name="seed"/>'s data with <paramref name="steps"/> and records its curve.</summary>
    public abstract RunCurve Run(string method, int seed, StepSizes steps, RunRecorder recorder);
}
