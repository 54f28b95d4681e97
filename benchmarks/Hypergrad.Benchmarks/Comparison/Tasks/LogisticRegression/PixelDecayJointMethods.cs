using Hypergrad;

namespace Hypergrad.Benchmarks.Comparison;

// The joint methods (single-loop and Hessian-free) on the same problem, each with the runtime's defaults for its own
// options (docs/dsl.md, "Options"). Their steps: w by the inner SGD (η), z / the lower-level copy by the same η
// (AuxiliaryStepSize unset), λ by the outer SGD (β), all on mini-batches (the registry's Batching).

/// <summary>SOBA: one SGD step on w, on the estimate z of H⁻¹∇_wF and on λ per pair of mini-batches (steps × 1/√(t+1), its default).</summary>
[Hypergradient(Method.Soba)]
public partial class PixelDecaySoba(int features, EvaluationCounter counter) : PixelDecay(features, counter);

/// <summary>SABA: SOBA with SAGA variance reduction over a fixed partition of the data.</summary>
[Hypergradient(Method.Saba)]
public partial class PixelDecaySaba(int features, EvaluationCounter counter) : PixelDecay(features, counter);

/// <summary>MA-SOBA: SOBA whose λ steps along a moving average (θ = 0.1) of its estimates.</summary>
[Hypergradient(Method.MaSoba)]
public partial class PixelDecayMaSoba(int features, EvaluationCounter counter) : PixelDecay(features, counter);

/// <summary>AmIGO: 10 SGD steps on w and 10 warm-started SGD steps on z per λ step.</summary>
[Hypergradient(Method.Amigo)]
public partial class PixelDecayAmigo(int features, EvaluationCounter counter) : PixelDecay(features, counter);

/// <summary>StocBiO: 10 SGD steps on w and a 10-term stochastic Neumann series per λ step.</summary>
[Hypergradient(Method.StocBio)]
public partial class PixelDecayStocBio(int features, EvaluationCounter counter) : PixelDecay(features, counter);

/// <summary>F²SA: no Hessian products; a penalized and a lower-level copy of w (10 steps each per λ step), growing penalty.</summary>
[Hypergradient(Method.F2sa)]
public partial class PixelDecayF2sa(int features, EvaluationCounter counter) : PixelDecay(features, counter);

/// <summary>BOME: no Hessian products; 10 steps on a lower-level copy, then (w, λ) along the BOME direction (η = 0.5).</summary>
[Hypergradient(Method.Bome)]
public partial class PixelDecayBome(int features, EvaluationCounter counter) : PixelDecay(features, counter);

/// <summary>PGDM: no Hessian products; gradient steps on the penalty F + σ(g − g*), g* from 10 steps on a lower-level copy.</summary>
[Hypergradient(Method.Pgdm)]
public partial class PixelDecayPgdm(int features, EvaluationCounter counter) : PixelDecay(features, counter);
