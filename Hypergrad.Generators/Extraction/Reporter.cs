using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace Hypergrad.Generators.Extraction;

/// <summary>
/// Collects the problems extraction finds. Without a list (the generator) it only remembers whether an error
/// was found, so the generator never allocates diagnostics it would not report.
/// </summary>
internal sealed class Reporter(ICollection<Diagnostic>? diagnostics)
{
    /// <summary>True once an error-severity problem was found: the class gets no generated code.</summary>
    public bool HasErrors { get; private set; }

    public void Add(DiagnosticDescriptor descriptor, ISymbol symbol, params object[] arguments) =>
        Add(descriptor, symbol.Locations.FirstOrDefault(), arguments);

    public void Add(DiagnosticDescriptor descriptor, Location? location, params object[] arguments) =>
        Add(descriptor, location, ImmutableDictionary<string, string?>.Empty, arguments);

    /// <summary>A diagnostic carrying <paramref name="properties"/> for its code fix.</summary>
    public void Add(DiagnosticDescriptor descriptor, Location? location, ImmutableDictionary<string, string?> properties, params object[] arguments)
    {
        if (descriptor.DefaultSeverity == DiagnosticSeverity.Error) HasErrors = true;
        diagnostics?.Add(Diagnostic.Create(descriptor, location ?? Location.None, properties, arguments));
    }
}
