using System;

namespace Hypergrad.Samples;

/// <summary>
/// An <see cref="IProgress{T}"/> that handles each report at once on the reporting thread (unlike
/// <see cref="Progress{T}"/>, which posts to the thread pool in a console program and can reorder or
/// outlive the run).
/// </summary>
public sealed class SynchronousProgress<T>(Action<T> handler) : IProgress<T>
{
    /// <inheritdoc/>
    public void Report(T value) => handler(value);
}
