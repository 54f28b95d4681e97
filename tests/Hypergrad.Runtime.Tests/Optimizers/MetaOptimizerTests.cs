using Hypergrad.Autograd;
using Hypergrad.Optimizers;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Hypergrad.Tests.Optimizers;

/// <summary>MetaOptimizer (MetaSGD, MetaAdam, …) over a user's module, float64.</summary>
public class MetaOptimizerTests
{
    readonly Tensor x = randn(8, 3, float64, generator: new Generator(1));
    readonly Tensor y = randn(8, 2, float64, generator: new Generator(2));
    readonly Tensor xValidation = randn(8, 3, float64, generator: new Generator(3));
    readonly Tensor yValidation = randn(8, 2, float64, generator: new Generator(4));

    static Sequential Mlp()
    {
        manual_seed(9);
        return nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)).to(float64);
    }

    static Tensor Forward(IReadOnlyList<Tensor> p, Tensor input) => F.linear(F.tanh(F.linear(input, p[0], p[1])), p[2], p[3]);

    [Theory]
    [InlineData("SGD")]
    [InlineData("Adam")]
    [InlineData("RMSProp")]   // uncentered, no momentum: its update leaves two slots as they were (the same tensors)
    public void Meta_gradient_reaches_the_modules_own_parameters_and_matches_the_functional_unroll(string kind)
    {
        DifferentiableOptimizer Make() => kind switch
        {
            "SGD" => new DifferentiableSgd(0.3, momentum: 0.5),
            "Adam" => new DifferentiableAdam(0.05, epsRoot: 1e-12),
            _ => new DifferentiableRmsProp(0.01),
        };
        var net = Mlp();
        var parameters = net.parameters().ToArray();
        var initial = parameters.Select(p => p.detach().clone()).ToArray();

        var meta = new MetaOptimizer(net, Make());
        for (int k = 0; k < 3; k++) meta.Step(F.mse_loss(net.call(x), y));
        var outer = F.mse_loss(net.call(xValidation), yValidation);
        meta.Restore();
        outer.backward();

        // Independent: the functional optimizer on explicit tensors with a hand-written forward.
        var leaves = initial.Select(p => p.clone().requires_grad_(true)).ToArray();
        Tensor[] current = leaves;
        var optimizer = Make();
        var state = optimizer.Init(current);
        string[] names = ["0.weight", "0.bias", "2.weight", "2.bias"];
        for (int k = 0; k < 3; k++)
        {
            var step = optimizer.Minimize(current, names, F.mse_loss(Forward(current, x), y), state);
            current = step.Parameters; state = step.State;
        }
        var expected = Gradients.Of(F.mse_loss(Forward(current, xValidation), yValidation), "outer", leaves, names);

        for (int i = 0; i < parameters.Length; i++)
        {
            Assert.Same(parameters[i], net.parameters().ElementAt(i));
            Assert.True(parameters[i].detach().allclose(initial[i], rtol: 0, atol: 0), $"{names[i]} changed value");
            Assert.NotNull(parameters[i].grad);
            Assert.True(parameters[i].grad!.allclose(expected[i], rtol: 1e-10, atol: 1e-12), $"meta-gradient of {names[i]}");
        }
        Assert.True(expected[0].abs().sum().item<double>() > 1e-6);

        // torch.optim keeps working on the restored module.
        var sgd = optim.SGD(net.parameters(), 0.1);
        sgd.step();
        Assert.True(parameters[0].detach().allclose(initial[0] - 0.1 * expected[0], rtol: 1e-10, atol: 1e-12));
        meta.Dispose();
    }

    [Theory]
    [InlineData("SGD")]
    [InlineData("RMSProp")]   // slots its update leaves unchanged must survive the steps (Extract and StopGradient read them)
    public void Extract_recover_and_stop_gradient(string kind)
    {
        var net = Mlp();
        using var meta = new MetaOptimizer(net, kind == "SGD" ? new DifferentiableSgd(0.3) : new DifferentiableRmsProp(0.01));
        meta.Step(F.mse_loss(net.call(x), y));
        var snapshot = meta.Extract();
        var outputAtSnapshot = net.call(xValidation).detach().clone();
        meta.Step(F.mse_loss(net.call(x), y));
        meta.Step(F.mse_loss(net.call(x), y));
        Assert.False(net.call(xValidation).detach().allclose(outputAtSnapshot));

        meta.Recover(snapshot);
        Assert.True(net.call(xValidation).detach().allclose(outputAtSnapshot, rtol: 0, atol: 0));
        Assert.Equal(1, meta.State.Steps);

        var values = meta.Current.detach().clone();
        meta.StopGradient();
        Assert.True(meta.Current.is_leaf);
        Assert.True(meta.Current.allclose(values, rtol: 0, atol: 0));
        var loss = F.mse_loss(net.call(xValidation), yValidation);
        var parameters = net.parameters().ToArray();
        meta.Restore();
        loss.backward();
        Assert.All(parameters, p => Assert.True(p.grad is null || p.grad.count_nonzero().item<long>() == 0));
        Assert.Throws<HypergradException>(() => meta.Step(loss));
    }
}
