using Hypergrad;

namespace Hypergrad.Benchmarks.Comparison;

// The hyper-cleaning problem, once per compared method: only the attribute differs (the same settings as the
// per-pixel decay task's classes). Inner-loop methods take UnrollSteps = 10 warm-started inner SGD steps per outer step.

/// <summary>Conjugate gradient (≤ 10 iterations), warm-started.</summary>
[Hypergradient(Method.ConjugateGradient, Iterations = 10, Tolerance = 1e-6, WarmStart = true, UnrollSteps = 10)]
public partial class SampleWeightingConjugateGradient(int samples, int features, EvaluationCounter counter) : SampleWeighting(samples, features, counter);

/// <summary>Nyström-preconditioned conjugate gradient (rank-10 Gaussian sketch, reused; ≤ 10 iterations).</summary>
[Hypergradient(Method.NystromConjugateGradient, Rank = 10, Iterations = 10, Tolerance = 1e-6, UnrollSteps = 10)]
public partial class SampleWeightingNystromConjugateGradient(int samples, int features, EvaluationCounter counter) : SampleWeighting(samples, features, counter);

/// <summary>A rank-20 Nyström approximation of (H + ρI)⁻¹ (ρ = 0.01).</summary>
[Hypergradient(Method.Nystrom, Rank = 20, Rho = 0.01, UnrollSteps = 10)]
public partial class SampleWeightingNystrom(int samples, int features, EvaluationCounter counter) : SampleWeighting(samples, features, counter);

/// <summary>Reverse mode through the 10 inner steps between two outer steps.</summary>
[Hypergradient(Method.ReverseUnroll, UnrollSteps = 10)]
public partial class SampleWeightingReverse(int samples, int features, EvaluationCounter counter) : SampleWeighting(samples, features, counter);
