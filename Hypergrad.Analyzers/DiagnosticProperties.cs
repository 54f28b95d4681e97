namespace Hypergrad.Analyzers;

/// <summary>Keys of the properties diagnostics carry for their code fixes (linked into Hypergrad.CodeFixers).</summary>
internal static class DiagnosticProperties
{
    /// <summary>HG0013: the valid list the code fix writes, as comma-separated Operation names.</summary>
    public const string ValidOperations = "ValidOperations";
}
