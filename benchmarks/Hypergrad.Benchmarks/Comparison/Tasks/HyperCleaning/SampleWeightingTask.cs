using System.Collections.Generic;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Hypergrad.Benchmarks.Comparison;

/// <summary>Data hyper-cleaning on Fashion-MNIST (<see cref="SampleWeighting"/>): one weight per training image.</summary>
public sealed class SampleWeightingTask(int trainCount = 5000, int validationCount = 1000, int testCount = 10000, double corruptedFraction = 0.5)
    : RegisteredTask<SampleWeighting, (Tensor, Tensor, Tensor), NoisyFashionMnist>
{
    const int Features = 784;

    /// <summary>Samples per mini-batch of the stochastic methods, at both levels (benchopt's default).</summary>
    const int BatchSize = 64;

    /// <inheritdoc/>
    public override string Name => "cleaning";

    /// <inheritdoc/>
    public override double DefaultBudgetSeconds => 3;

    /// <inheritdoc/>
    public override string Title => $"Hyper-cleaning, Fashion-MNIST ({trainCount} train, {corruptedFraction:P0} corrupted / {validationCount} validation)";

    /// <inheritdoc/>
    public override string Description =>
        $"Data hyper-cleaning as in samples/HyperCleaning: a linear 10-class classifier (ridge {SampleWeighting.Ridge:0e0}) on {trainCount} Fashion-MNIST " +
        $"training images of which {corruptedFraction:P0} carry a wrong label, one weight σ(sᵢ) per image tuned on {validationCount} clean validation " +
        $"images; test accuracy on {testCount} test images. Sets and corruption drawn per seed.";

    /// <inheritdoc/>
    public override StepGrid Grid { get; } = new([0.1, 0.3, 1.0], [1000.0, 10000.0, 100000.0]);

    /// <inheritdoc/>
    protected override IReadOnlyList<ComparedMethod<SampleWeighting>> Registry => registry;

    readonly IReadOnlyList<ComparedMethod<SampleWeighting>> registry =
    [
        new("CG warm-started", MethodFamily.InnerLoop, Batching.Full, c => new SampleWeightingConjugateGradient(trainCount, Features, c)),
        new("Nyström-PCG", MethodFamily.InnerLoop, Batching.Full, c => new SampleWeightingNystromConjugateGradient(trainCount, Features, c)),
        new("Nyström", MethodFamily.InnerLoop, Batching.Full, c => new SampleWeightingNystrom(trainCount, Features, c)),
        new("reverse mode", MethodFamily.InnerLoop, Batching.Full, c => new SampleWeightingReverse(trainCount, Features, c)),
        new("SOBA", MethodFamily.SingleLoop, Batching.MiniBatches(BatchSize), c => new SampleWeightingSoba(trainCount, Features, c)),
        new("SABA", MethodFamily.SingleLoop, Batching.Partition(BatchSize), c => new SampleWeightingSaba(trainCount, Features, c)),
        new("MA-SOBA", MethodFamily.SingleLoop, Batching.MiniBatches(BatchSize), c => new SampleWeightingMaSoba(trainCount, Features, c)),
        new("AmIGO", MethodFamily.SingleLoop, Batching.MiniBatches(BatchSize), c => new SampleWeightingAmigo(trainCount, Features, c)),
        new("StocBiO", MethodFamily.SingleLoop, Batching.MiniBatches(BatchSize), c => new SampleWeightingStocBio(trainCount, Features, c)),
        new("F2SA", MethodFamily.HessianFree, Batching.MiniBatches(BatchSize), c => new SampleWeightingF2sa(trainCount, Features, c)),
        new("BOME", MethodFamily.HessianFree, Batching.MiniBatches(BatchSize), c => new SampleWeightingBome(trainCount, Features, c)),
        new("PGDM", MethodFamily.HessianFree, Batching.MiniBatches(BatchSize), c => new SampleWeightingPgdm(trainCount, Features, c)),
    ];

    /// <inheritdoc/>
    protected override NoisyFashionMnist Load(int seed) => NoisyFashionMnist.Load(trainCount, validationCount, testCount, corruptedFraction, seed);

    /// <inheritdoc/>
    protected override (long Training, long Validation) Sizes(NoisyFashionMnist data) => (data.TrainX.shape[0], data.ValidationX.shape[0]);

    /// <inheritdoc/>
    protected override IEnumerable<(Tensor, Tensor, Tensor)> Batches(NoisyFashionMnist data, bool training, Batching batching, int seed)
    {
        var (x, y) = training ? (data.TrainX, data.NoisyTrainY) : (data.ValidationX, data.ValidationY);
        return batching.BatchSize is not { } size ? IndexedBatches.FullBatch(x, y)
            : batching.Finite ? IndexedBatches.Partitioned(x, y, size, seed) : IndexedBatches.Shuffled(x, y, size, seed);
    }

    /// <inheritdoc/>
    protected override IEnumerable<Parameter> OuterVariables(SampleWeighting problem) => [problem.SampleLogits];

    /// <inheritdoc/>
    protected override IReadOnlyList<Parameter> InnerVariables(SampleWeighting problem) => [problem.Model.weight!, problem.Model.bias!];

    /// <inheritdoc/>
    protected override Tensor TrainingLoss(SampleWeighting problem, NoisyFashionMnist data, Tensor flat)
    {
        var x = WideTraining(data);
        int classes = NoisyFashionMnist.Classes;
        long features = x.shape[1];
        var weight = flat[..(int)(classes * features)].view(classes, features);
        var logits = x.mm(weight.T).add(flat[(int)(classes * features)..], One);
        var losses = nn.functional.cross_entropy(logits, data.NoisyTrainY, reduction: nn.Reduction.None);
        var weighted = problem.SampleLogits.detach().to_type(ScalarType.Float64).sigmoid().mul(losses).mean();
        return weighted.add(weight.square().sum(), HalfRidge);
    }

    // Kept Scalars: the re-solve evaluates this thousands of times, and a temporary Scalar can be freed mid-call (docs/reliability.md).
    static readonly Scalar One = 1.ToScalar(), HalfRidge = (0.5 * SampleWeighting.Ridge).ToScalar();

    (NoisyFashionMnist Data, Tensor X)? wide;

    /// <summary>The training images in float64 for the re-solve of w*(λ), converted once per seed.</summary>
    Tensor WideTraining(NoisyFashionMnist data)
    {
        if (!ReferenceEquals(wide?.Data, data))
        {
            wide?.X.Dispose();
            wide = (data, data.TrainX.to_type(ScalarType.Float64).DetachFromDisposeScope());
        }
        return wide.Value.X;
    }

    /// <inheritdoc/>
    protected override (double ValidationLoss, double TestAccuracy) Evaluate(SampleWeighting problem, NoisyFashionMnist data)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        double loss = nn.functional.cross_entropy(problem.Model.call(data.ValidationX), data.ValidationY).item<float>();
        double accuracy = problem.Model.call(data.TestX).argmax(1).eq(data.TestY).to_type(ScalarType.Float32).mean().item<float>();
        return (loss, accuracy);
    }
}
