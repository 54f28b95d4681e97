using HyperCleaning;
using Xunit;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using static TorchSharp.torch.nn.functional;

namespace Hypergrad.Samples.Tests;

public class HyperCleaningHypergradientTests
{
    [Fact]
    public void The_conjugate_gradient_hypergradient_matches_differentiating_through_many_steps_from_the_inner_optimum()
    {
        // The sample's own problem on 200 Fashion-MNIST images (half the labels corrupted) with a ridge (1.0) large enough
        // for the inner problem to be solved to optimum by gradient descent. The independent reference: plain autograd
        // through K gradient steps started at that optimum, whose derivative tends to the implicit one as K grows
        // (the Neumann series of the same linear system), written here without the library.
        using var scope = NewDisposeScope();
        manual_seed(1);
        const double ridge = 1.0, eta = 0.25;
        var data = CleaningData.Load(null, trainCount: 200, validationCount: 100, testCount: 10, corruptedFraction: 0.5, seed: 1);
        var problem = new ConjugateGradientCleaning(200, 784, CleaningData.Classes, ridge);
        using (no_grad()) problem.SampleLogits.copy_(randn(200));

        var optimizer = optim.SGD(problem.Model.parameters(), eta);
        for (int step = 0; step < 1500; step++)
        {
            using var stepScope = NewDisposeScope();
            optimizer.zero_grad();
            problem.TrainLoss(data.TrainX, data.NoisyTrainY).backward();
            optimizer.step();
        }
        var w0 = problem.Model.weight!.detach().clone();
        var b0 = problem.Model.bias!.detach().clone();
        var s = problem.SampleLogits.detach().clone();

        var result = problem.ComputeHypergradient((data.TrainX, data.NoisyTrainY), (data.ValidationX, data.ValidationY));
        var library = result.Gradients[0].Tensor.flatten();

        var reference = UnrolledReference(data, w0, b0, s, ridge, eta, steps: 600);

        double cosine = (library.dot(reference) / (library.norm() * reference.norm())).item<float>();
        double relative = ((library - reference).norm() / reference.norm()).item<float>();
        var measured = $"cosine {cosine:F5}, relative error {relative:E2}, CG residual {result.RelativeResidual:E2} after {result.Iterations} iterations";
        Assert.True(cosine > 0.999, measured);
        Assert.True(relative < 0.05, measured);
        // The sample's 20 CG iterations end near (not always within) its tolerance of 1e-4 here (the bias has no
        // ridge): the residual must be small and the converged flag must say truthfully whether 1e-4 was met.
        Assert.True(result.RelativeResidual < 1e-3, measured);
        Assert.Equal(result.RelativeResidual <= 1e-4, result.Converged);
    }

    static Tensor UnrolledReference(CleaningData data, Tensor w0, Tensor b0, Tensor s0, double ridge, double eta, int steps)
    {
        var s = s0.requires_grad_(true);
        Tensor w = w0.clone().requires_grad_(true), b = b0.clone().requires_grad_(true);
        Tensor w_ = w, b_ = b;
        for (int k = 0; k < steps; k++)
        {
            var loss = (s.sigmoid() * cross_entropy(data.TrainX.matmul(w_.t()) + b_, data.NoisyTrainY, reduction: Reduction.None)).mean()
                       + 0.5 * ridge * w_.pow(2).sum();
            var g = autograd.grad(new[] { loss }, new[] { w_, b_ }, retain_graph: true, create_graph: true);
            w_ = w_ - eta * g[0];
            b_ = b_ - eta * g[1];
        }
        var validation = cross_entropy(data.ValidationX.matmul(w_.t()) + b_, data.ValidationY);
        return autograd.grad(new[] { validation }, new[] { s })[0].flatten();
    }
}
