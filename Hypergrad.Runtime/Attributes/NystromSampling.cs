// This file is compiled into both Hypergrad.Runtime and Hypergrad.Generators (linked), like Method.cs.
namespace Hypergrad;

/// <summary>How a Nyström sketch chooses its k test vectors Ω (P × k).</summary>
#if HYPERGRAD_TOOLING
internal
#else
public
#endif
enum NystromSampling
{
    /// <summary>k distinct coordinates (seeded): Ω = [e_i₁ … e_iₖ], so HΩ is k Hessian columns (hypergrad's choice). Default.</summary>
    Columns,

    /// <summary>An orthonormalised seeded Gaussian matrix (randomized Nyström): better when H's spectrum decays slowly across coordinates.</summary>
    Gaussian,
}
