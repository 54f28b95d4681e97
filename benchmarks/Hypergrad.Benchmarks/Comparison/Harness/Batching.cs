namespace Hypergrad.Benchmarks.Comparison;

/// <summary>How a compared method reads its data, at both levels.</summary>
/// <param name="BatchSize">Samples per batch, or null for the whole set as one batch.</param>
/// <param name="Finite">The batches are a fixed partition of the set (<c>Hypergrad.Data.FiniteBatches</c>, which SABA's memory needs) rather than reshuffled every pass.</param>
public sealed record Batching(int? BatchSize, bool Finite)
{
    /// <summary>The whole set as one batch, every step.</summary>
    public static Batching Full { get; } = new(null, false);

    /// <summary>Mini-batches of <paramref name="size"/> samples, the set reshuffled every pass.</summary>
    public static Batching MiniBatches(int size) => new(size, false);

    /// <summary>A fixed partition into batches of <paramref name="size"/> samples, visited in a new order every pass.</summary>
    public static Batching Partition(int size) => new(size, true);

    /// <summary>"full batches", "mini-batches of 64", "a fixed partition into batches of 64".</summary>
    public override string ToString() => BatchSize is not { } size ? "full batches" : Finite ? $"a fixed partition into batches of {size}" : $"mini-batches of {size}";
}
