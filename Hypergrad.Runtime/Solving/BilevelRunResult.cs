using System.Collections.Generic;

namespace Hypergrad.Solving;

/// <summary>What a run did. The trained values are in the problem's variables themselves.</summary>
/// <param name="Steps">Inner steps done (equals <see cref="BilevelOptions.Steps"/> for a finished run).</param>
/// <param name="OuterSteps">Outer steps done.</param>
/// <param name="OuterLosses">The outer objective before each outer step, in order (across resumptions).</param>
/// <param name="ResumedFromStep">The step a checkpoint resumed the run at, or 0 for a fresh run.</param>
public sealed record BilevelRunResult(int Steps, int OuterSteps, IReadOnlyList<double> OuterLosses, int ResumedFromStep);
