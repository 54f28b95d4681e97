namespace Hypergrad.Samples;

/// <summary>The knobs every sample's bilevel run has; each sample's settings record adds its own.</summary>
public abstract record SampleSettings
{
    /// <summary>Outer steps (updates of the outer variables).</summary>
    public int OuterSteps { get; init; }

    /// <summary>Inner steps between two outer steps (for unrolled methods, the steps differentiated through).</summary>
    public int UnrollSteps { get; init; }

    /// <summary>Seed of the data and of the run.</summary>
    public int Seed { get; init; }

    /// <summary>Where the plot and the results table go; null writes nothing (tests).</summary>
    public string? OutputDirectory { get; init; } = "results";

    /// <summary>Total inner steps of <c>Run</c>: one window before the first outer step, one after the last.</summary>
    public int Steps => UnrollSteps * (OuterSteps + 1);
}
