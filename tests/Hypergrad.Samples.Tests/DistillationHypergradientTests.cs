using DatasetDistillation;
using Hypergrad.Data;
using Hypergrad.Solving;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using static TorchSharp.torch.nn.functional;

namespace Hypergrad.Samples.Tests;

public class DistillationHypergradientTests
{
    const int Unroll = 20;

    [Fact]
    public void The_runs_hypergradient_for_images_and_log_step_size_equals_hand_written_autograd_and_finite_differences()
    {
        // The sample's own problem and run options (Adam on the images and log η, the classifier reset after every outer
        // step, η = exp(log η) re-evaluated at every inner step) in float64 on real Fashion-MNIST images, 20 unrolled steps.
        // The hypergradient of the second outer step is checked: by then Adam has moved the images and η, so an η read
        // once (at the first step) would differ from the current one and be caught.
        using var scope = NewDisposeScope();
        var settings = new DistillationSettings { UnrollSteps = Unroll, OuterSteps = 2, RealBatch = 500, OutputDirectory = null };
        var data = DistillationData.Load(null, trainCount: 5000, validationCount: 10, testCount: 10, seed: 0);
        var (trainX, trainY) = (data.TrainX.to_type(float64), data.TrainY);
        var labels = arange(DistillationData.Classes);
        var images = stack(Enumerable.Range(0, DistillationData.Classes)
            .Select(c => trainX[trainY.eq(c).nonzero()[0, 0]]).ToArray());
        var problem = new Distillation(images, labels, DistillationData.Classes, settings.InitialLearningRate);

        var options = DistillationSample.Options(problem, settings);
        var reset = options.AfterOuterStep!;
        var starts = new List<(Tensor Images, double LogLearningRate)>();
        var hypergradients = new List<(Tensor Images, double LogLearningRate)>();
        options.AfterOuterStep = report =>
        {
            // The outer optimizer leaves .grad in place: it holds this outer step's hypergradient.
            hypergradients.Add((problem.Images.grad!.detach().clone().DetachFromDisposeScope(), problem.LogLearningRate.grad!.ToDouble()));
            reset(report);
            starts.Add((problem.Images.detach().clone().DetachFromDisposeScope(), problem.LogLearningRate.ToDouble()));
        };
        var realBatches = BatchSource.Shuffled(trainX, trainY, settings.RealBatch, settings.Seed);
        var run = problem.Run(realBatches, options);
        Assert.Equal(2, run.OuterSteps);


        // Outer step 2 unrolls from zero at the values the first outer step left, on the second real batch.
        var (x0, logEta) = starts[0];
        var (x, y) = realBatches.Skip(1).First();
        Assert.True(Math.Abs(logEta - Math.Log(settings.InitialLearningRate)) > 1e-3, "the first outer step did not move log η");

        var (referenceImages, referenceLogEta) = HandWrittenHypergradient(x0, labels, logEta, x, y);
        var (library, libraryLogEta) = hypergradients[1];
        var libraryAll = cat(new[] { library.flatten(), tensor(new[] { libraryLogEta }, float64) });
        var referenceAll = cat(new[] { referenceImages.flatten(), tensor(new[] { referenceLogEta }, float64) });
        double cosine = (libraryAll.dot(referenceAll) / (libraryAll.norm() * referenceAll.norm())).ToDouble();
        double relative = ((libraryAll - referenceAll).norm() / referenceAll.norm()).ToDouble();
        Assert.True(cosine > 1 - 1e-12, $"cosine {cosine:R}");
        Assert.True(relative < 1e-9, $"relative error {relative:G3}");
        Assert.True(Math.Abs(libraryLogEta - referenceLogEta) <= 1e-9 * Math.Abs(referenceLogEta),
            $"d/d log η: run {libraryLogEta:R}, hand-written {referenceLogEta:R}");

        // Finite differences of the outer loss itself (no autograd), along log η and along a random image direction.
        const double h = 1e-4;

        double fdLogEta = (OuterLoss(x0, labels, logEta + h, x, y) - OuterLoss(x0, labels, logEta - h, x, y)) / (2 * h);
        manual_seed(7);
        var direction = randn_like(x0);
        direction /= direction.norm();
        double fdImages = (OuterLoss(x0 + h * direction, labels, logEta, x, y) - OuterLoss(x0 - h * direction, labels, logEta, x, y)) / (2 * h);
        double analyticImages = (library * direction).sum().ToDouble();
        Assert.True(Math.Abs(fdLogEta - libraryLogEta) <= 1e-6 * Math.Abs(libraryLogEta), $"d/d log η: run {libraryLogEta:R}, finite differences {fdLogEta:R}");
        Assert.True(Math.Abs(fdImages - analyticImages) <= 1e-6 * Math.Abs(analyticImages), $"along a direction: run {analyticImages:R}, finite differences {fdImages:R}");
        // Not vacuous: both parts of the hypergradient are far from zero.
        Assert.True(Math.Abs(libraryLogEta) > 1e-3 && Math.Abs(analyticImages) > 1e-4, $"d/d log η {libraryLogEta:G3}, directional {analyticImages:G3}");
    }

    /// <summary>
    /// d/d(images, log η) of CE(real batch; W_T) where W_T is <see cref="Unroll"/> gradient steps of size exp(log η) from
    /// W = 0, b = 0 on CE(W images + b, labels): plain TorchSharp autograd through the written-out steps.
    /// </summary>
    static (Tensor Images, double LogLearningRate) HandWrittenHypergradient(Tensor images, Tensor labels, double logEta, Tensor x, Tensor y)
    {
        var leafImages = images.clone().requires_grad_(true);
        var leafLogEta = tensor(logEta, float64).requires_grad_(true);
        Tensor w = zeros(DistillationData.Classes, images.shape[1], dtype: float64).requires_grad_(true);
        Tensor b = zeros(DistillationData.Classes, dtype: float64).requires_grad_(true);
        for (int t = 0; t < Unroll; t++)
        {
            var loss = cross_entropy(leafImages.matmul(w.t()) + b, labels);
            var g = autograd.grad(new[] { loss }, new[] { w, b }, retain_graph: true, create_graph: true);
            w = w - leafLogEta.exp() * g[0];
            b = b - leafLogEta.exp() * g[1];
        }
        var outer = cross_entropy(x.matmul(w.t()) + b, y);
        var grads = autograd.grad(new[] { outer }, new[] { leafImages, leafLogEta });
        return (grads[0], grads[1].ToDouble());
    }

    /// <summary>The outer loss after the same steps, with the gradient of the inner loss written out (softmax − one-hot).</summary>
    static double OuterLoss(Tensor images, Tensor labels, double logEta, Tensor x, Tensor y)
    {
        using var noGrad = no_grad();
        double eta = Math.Exp(logEta);
        var w = zeros(DistillationData.Classes, images.shape[1], dtype: float64);
        var b = zeros(DistillationData.Classes, dtype: float64);
        var oneHot = one_hot(labels, DistillationData.Classes).to_type(float64);
        for (int t = 0; t < Unroll; t++)
        {
            var delta = (softmax(images.matmul(w.t()) + b, 1) - oneHot) / images.shape[0];
            w = w - eta * delta.t().matmul(images);
            b = b - eta * delta.sum(dim: 0);   // sum(0) would pick the overload taking a ScalarType (0 converts to any enum)
        }
        return cross_entropy(x.matmul(w.t()) + b, y).ToDouble();
    }
}
