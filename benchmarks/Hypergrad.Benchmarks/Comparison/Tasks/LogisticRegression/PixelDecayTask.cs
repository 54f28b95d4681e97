using System.Collections.Generic;
using Hypergrad.Data;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Hypergrad.Benchmarks.Comparison;

/// <summary>
/// Per-pixel L2 regularisation of logistic regression on Fashion-MNIST T-shirt/top against Shirt
/// (<see cref="BinaryFashionMnist"/>): 784 decays tuned on validation images.
/// </summary>
/// <param name="name">The task's name: the same problem runs at two data sizes.</param>
/// <param name="trainCount">Training images per seed.</param>
/// <param name="validationCount">Validation images per seed.</param>
/// <param name="budgetSeconds">The default CPU budget per run.</param>
public sealed class PixelDecayTask(string name, int trainCount, int validationCount, double budgetSeconds)
    : RegisteredTask<PixelDecay, (Tensor, Tensor), BinaryFashionMnist>
{
    const int Features = 784;

    /// <summary>Samples per mini-batch of the stochastic methods, at both levels (benchopt's default).</summary>
    const int BatchSize = 64;

    /// <summary>The README's large data size: 9000 training and 3000 validation images, 3 s per run.</summary>
    public static PixelDecayTask Large() => new("logreg", 9000, 3000, 3);

    /// <summary>The same problem on 1000 training and 1000 validation images, 1 s per run.</summary>
    public static PixelDecayTask Small() => new("logreg-small", 1000, 1000, 1);

    /// <inheritdoc/>
    public override string Name => name;

    /// <inheritdoc/>
    public override double DefaultBudgetSeconds => budgetSeconds;

    /// <inheritdoc/>
    public override string Title => $"Per-pixel L2 logistic regression, Fashion-MNIST T-shirt vs Shirt ({trainCount} train / {validationCount} validation)";

    /// <inheritdoc/>
    public override string Description =>
        $"Logistic regression with one L2 decay exp(λⱼ) per pixel (784, starting at exp({PixelDecay.InitialLogDecay}), at most 1), " +
        $"Fashion-MNIST T-shirt/top vs Shirt: {trainCount} training and {validationCount} validation images drawn per seed from the two " +
        $"classes' 12,000 training images, test accuracy on their 2,000 test images.";

    /// <inheritdoc/>
    public override StepGrid Grid { get; } = new([0.03, 0.1, 0.3], [100.0, 1000.0, 10000.0]);

    /// <inheritdoc/>
    protected override IReadOnlyList<ComparedMethod<PixelDecay>> Registry { get; } =
    [
        new("CG warm-started", MethodFamily.InnerLoop, Batching.Full, c => new PixelDecayConjugateGradient(Features, c)),
        new("Nyström-PCG", MethodFamily.InnerLoop, Batching.Full, c => new PixelDecayNystromConjugateGradient(Features, c)),
        new("Nyström", MethodFamily.InnerLoop, Batching.Full, c => new PixelDecayNystrom(Features, c)),
        new("reverse mode", MethodFamily.InnerLoop, Batching.Full, c => new PixelDecayReverse(Features, c)),
        new("SOBA", MethodFamily.SingleLoop, Batching.MiniBatches(BatchSize), c => new PixelDecaySoba(Features, c)),
        new("SABA", MethodFamily.SingleLoop, Batching.Partition(BatchSize), c => new PixelDecaySaba(Features, c)),
        new("MA-SOBA", MethodFamily.SingleLoop, Batching.MiniBatches(BatchSize), c => new PixelDecayMaSoba(Features, c)),
        new("AmIGO", MethodFamily.SingleLoop, Batching.MiniBatches(BatchSize), c => new PixelDecayAmigo(Features, c)),
        new("StocBiO", MethodFamily.SingleLoop, Batching.MiniBatches(BatchSize), c => new PixelDecayStocBio(Features, c)),
        new("F2SA", MethodFamily.HessianFree, Batching.MiniBatches(BatchSize), c => new PixelDecayF2sa(Features, c)),
        new("BOME", MethodFamily.HessianFree, Batching.MiniBatches(BatchSize), c => new PixelDecayBome(Features, c)),
        new("PGDM", MethodFamily.HessianFree, Batching.MiniBatches(BatchSize), c => new PixelDecayPgdm(Features, c)),
    ];

    /// <inheritdoc/>
    protected override BinaryFashionMnist Load(int seed) => BinaryFashionMnist.Load(trainCount, validationCount, seed);

    /// <inheritdoc/>
    protected override (long Training, long Validation) Sizes(BinaryFashionMnist data) => (data.TrainX.shape[0], data.ValidationX.shape[0]);

    /// <inheritdoc/>
    protected override IEnumerable<(Tensor, Tensor)> Batches(BinaryFashionMnist data, bool training, Batching batching, int seed)
    {
        var (x, y) = training ? (data.TrainX, data.TrainY) : (data.ValidationX, data.ValidationY);
        return batching.BatchSize is not { } size ? BatchSource.FullBatch(x, y)
            : batching.Finite ? BatchSource.Partitioned(x, y, size, seed) : BatchSource.Shuffled(x, y, size, seed);
    }

    /// <inheritdoc/>
    protected override IEnumerable<Parameter> OuterVariables(PixelDecay problem) => [problem.LogDecay];

    /// <inheritdoc/>
    protected override IReadOnlyList<Parameter> InnerVariables(PixelDecay problem) => [problem.Model.weight!, problem.Model.bias!];

    /// <inheritdoc/>
    protected override Tensor TrainingLoss(PixelDecay problem, BinaryFashionMnist data, Tensor flat)
    {
        var (x, y) = WideTraining(data);
        var weight = flat[..Features];
        var logits = x.mv(weight).add(flat[Features], One);
        var penalty = weight.square().mul(problem.LogDecay.detach().to_type(ScalarType.Float64).exp()).sum().mul(Half);
        return nn.functional.binary_cross_entropy_with_logits(logits, y).add(penalty, One);
    }

    // Kept Scalars: the re-solve evaluates this thousands of times, and a temporary Scalar can be freed mid-call (docs/reliability.md).
    static readonly Scalar One = 1.ToScalar(), Half = 0.5.ToScalar();

    (BinaryFashionMnist Data, Tensor X, Tensor Y)? wide;

    /// <summary>The training set in float64 for the re-solve of w*(λ), converted once per seed.</summary>
    (Tensor X, Tensor Y) WideTraining(BinaryFashionMnist data)
    {
        if (!ReferenceEquals(wide?.Data, data))
        {
            wide?.X.Dispose();
            wide?.Y.Dispose();
            wide = (data, data.TrainX.to_type(ScalarType.Float64).DetachFromDisposeScope(), data.TrainY.to_type(ScalarType.Float64).DetachFromDisposeScope());
        }
        return (wide.Value.X, wide.Value.Y);
    }

    /// <inheritdoc/>
    protected override (double ValidationLoss, double TestAccuracy) Evaluate(PixelDecay problem, BinaryFashionMnist data)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        double loss = PixelDecay.Loss(problem.Model, data.ValidationX, data.ValidationY).item<float>();
        double accuracy = problem.Model.call(data.TestX).squeeze(-1).gt(0).to_type(ScalarType.Float32).eq(data.TestY).to_type(ScalarType.Float32).mean().item<float>();
        return (loss, accuracy);
    }
}
