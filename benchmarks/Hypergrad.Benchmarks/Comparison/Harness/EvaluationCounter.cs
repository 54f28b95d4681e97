namespace Hypergrad.Benchmarks.Comparison;

/// <summary>
/// Counts the gradient and Hessian-vector-product evaluations of a run in passes over the data: an objective
/// evaluated on b of the n samples of its set counts b/n, so one full-batch gradient of either level counts 1 and a
/// mini-batch method is charged for what it touches. An objective call made with autograd on is a gradient (the
/// runtime differentiates what it builds a graph for); calls under no_grad (the runtime's loss reports and divergence
/// checks) are function values, counted apart and not in <see cref="Total"/>. The Hessian-vector products (including those a reverse-mode backward pass
/// through an inner step costs, and a Nyström sketch's) come from each outer step's certificate, charged at the size
/// of the last inner batch the objective saw (the batch the hypergradient was taken on). The one mixed product
/// ∂²_{λw}g·x per hypergradient is not counted, for any method.
/// </summary>
/// <param name="trainingSamples">Samples of the inner (training) set.</param>
/// <param name="validationSamples">Samples of the outer (validation) set.</param>
public sealed class EvaluationCounter(long trainingSamples, long validationSamples)
{
    long? lastInnerBatch;

    /// <summary>Inner-objective gradients, in passes over the training set.</summary>
    public double InnerGradients { get; private set; }

    /// <summary>Outer-objective gradients, in passes over the validation set.</summary>
    public double OuterGradients { get; private set; }

    /// <summary>Hessian-vector products of the inner objective, in passes over the training set.</summary>
    public double HessianVectorProducts { get; private set; }

    /// <summary>Objective values computed without a gradient (both levels), in passes; not part of <see cref="Total"/>.</summary>
    public double Values { get; private set; }

    /// <summary>All gradients and products: the x-axis "evaluations" of the comparison.</summary>
    public double Total => InnerGradients + OuterGradients + HessianVectorProducts;

    /// <summary>The inner objective was evaluated on <paramref name="batch"/> samples, with autograd on when <paramref name="differentiated"/>.</summary>
    public void Inner(long batch, bool differentiated)
    {
        double passes = (double)batch / trainingSamples;
        if (!differentiated)
        {
            Values += passes;
            return;
        }
        InnerGradients += passes;
        lastInnerBatch = batch;
    }

    /// <summary>The outer objective was evaluated on <paramref name="batch"/> samples, with autograd on when <paramref name="differentiated"/>.</summary>
    public void Outer(long batch, bool differentiated)
    {
        double passes = (double)batch / validationSamples;
        if (differentiated) OuterGradients += passes;
        else Values += passes;
    }

    /// <summary>An outer step's certificate reported <paramref name="count"/> products (on the last inner batch).</summary>
    public void Products(int count) => HessianVectorProducts += (double)count * (lastInnerBatch ?? trainingSamples) / trainingSamples;
}
