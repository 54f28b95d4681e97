namespace Hypergrad.Analyzers;

/// <summary>Keys of the properties diagnostics carry for their code fixes (linked into Hypergrad.CodeFixers).</summary>
internal static class DiagnosticProperties
{
    /// <summary>HG0013: the valid list the code fix writes, as comma-separated Operation names.</summary>
    public const string ValidOperations = "ValidOperations";

    /// <summary>HG0008: present (value "true") when the diagnostic is on a torch.optim optimizer's step() call, not on its construction.</summary>
    public const string OptimizerStep = "OptimizerStep";
}
