using System;
using System.Collections.Generic;
using System.Threading;

namespace Hypergrad.Solving;

/// <summary>
/// What the generator adds to every <c>[Hypergradient]</c> class with an inner objective, so code can treat several
/// such classes alike (e.g. one run loop for problems that differ only in Method). Implemented by the generated
/// code whenever the batch types are public; a batch without parameters is <see cref="ValueTuple"/>.
/// </summary>
/// <typeparam name="TInnerBatch">The inner objective's batch: its parameter, or a tuple of its parameters.</typeparam>
/// <typeparam name="TOuterBatch">The outer objective's batch.</typeparam>
public interface IBilevelProblemClass<TInnerBatch, TOuterBatch>
{
    /// <summary>The class as the runtime sees it (built on first use).</summary>
    BilevelProblem<TInnerBatch, TOuterBatch> BilevelProblem { get; }

    /// <summary>One hypergradient on the given batches, accumulated into the outer variables' <c>.grad</c>.</summary>
    HypergradientResult ComputeHypergradient(TInnerBatch innerBatch, TOuterBatch outerBatch);

    /// <summary>The bilevel optimization (<see cref="BilevelSolver.Run{TInnerBatch, TOuterBatch}"/>).</summary>
    BilevelRunResult Run(IEnumerable<TInnerBatch> train, IEnumerable<TOuterBatch> validation, BilevelOptions options,
        IProgress<BilevelProgress>? progress = null, CancellationToken cancellationToken = default);
}

/// <summary>
/// What the generator adds to every <c>[Hypergradient]</c> class with a <c>[FixedPointMap]</c> (an equilibrium
/// problem). Implemented by the generated code whenever the batch type is public.
/// </summary>
/// <typeparam name="TBatch">The map's batch (without the state): its parameter, or a tuple of its parameters.</typeparam>
public interface IFixedPointProblemClass<TBatch>
{
    /// <summary>The class as the runtime sees it (built on first use).</summary>
    FixedPointProblem<TBatch> BilevelProblem { get; }

    /// <summary>dF/dθ on one batch at its equilibrium, accumulated into the outer variables' <c>.grad</c>.</summary>
    HypergradientResult ComputeHypergradient(TBatch batch);

    /// <summary>Training on equilibria (<see cref="FixedPointSolver.Run{TBatch}"/>).</summary>
    BilevelRunResult Run(IEnumerable<TBatch> data, BilevelOptions options,
        IProgress<BilevelProgress>? progress = null, CancellationToken cancellationToken = default);
}
