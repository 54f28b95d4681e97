using Hypergrad;

namespace Hypergrad.Benchmarks.Comparison;

// The per-pixel decay problem, once per compared method: only the attribute differs. Inner-loop methods take
// UnrollSteps = 10 inner SGD steps (warm-started: the inner model carries over) before each outer step.

/// <summary>Conjugate gradient (≤ 10 iterations), each solve warm-started from the previous outer step's solution.</summary>
[Hypergradient(Method.ConjugateGradient, Iterations = 10, Tolerance = 1e-6, WarmStart = true, UnrollSteps = 10)]
public partial class PixelDecayConjugateGradient(int features, EvaluationCounter counter) : PixelDecay(features, counter);

/// <summary>Nyström-preconditioned conjugate gradient (rank-10 Gaussian sketch, reused across outer steps; ≤ 10 iterations).</summary>
[Hypergradient(Method.NystromConjugateGradient, Rank = 10, Iterations = 10, Tolerance = 1e-6, UnrollSteps = 10)]
public partial class PixelDecayNystromConjugateGradient(int features, EvaluationCounter counter) : PixelDecay(features, counter);

/// <summary>A rank-20 Nyström approximation of (H + ρI)⁻¹ (ρ = 0.01): a fixed cost per outer step.</summary>
[Hypergradient(Method.Nystrom, Rank = 20, Rho = 0.01, UnrollSteps = 10)]
public partial class PixelDecayNystrom(int features, EvaluationCounter counter) : PixelDecay(features, counter);

/// <summary>Reverse mode through the 10 inner steps between two outer steps.</summary>
[Hypergradient(Method.ReverseUnroll, UnrollSteps = 10)]
public partial class PixelDecayReverse(int features, EvaluationCounter counter) : PixelDecay(features, counter);
