using Hypergrad.Autograd;
using Hypergrad.Optimizers;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Hypergrad.Tests.Optimizers;

/// <summary>
/// Closed-form check 7 (docs/methods.md): each differentiable optimizer against TorchSharp's torch.optim counterpart on a small
/// MLP for 5 steps (float32, rtol 3.25e-5, atol 2.5e-4), out-of-place (differentiable) and in-place agreeing.
/// </summary>
public class OptimizerParityTests
{
    public static TheoryData<string, Func<IEnumerable<Parameter>, optim.Optimizer>, Func<DifferentiableOptimizer>, int> Cases => new()
    {
        { "SGD", p => optim.SGD(p, 0.1), () => new DifferentiableSgd(0.1), 5 },
        { "SGD momentum dampening wd", p => optim.SGD(p, 0.1, momentum: 0.9, dampening: 0.1, weight_decay: 0.01), () => new DifferentiableSgd(0.1, momentum: 0.9, dampening: 0.1, weightDecay: 0.01), 5 },
        { "SGD Nesterov", p => optim.SGD(p, 0.1, momentum: 0.9, weight_decay: 0.01, nesterov: true), () => new DifferentiableSgd(0.1, momentum: 0.9, weightDecay: 0.01, nesterov: true), 5 },
        { "Adam", p => optim.Adam(p, 0.01), () => new DifferentiableAdam(0.01), 5 },
        { "Adam wd", p => optim.Adam(p, 0.01, weight_decay: 0.1), () => new DifferentiableAdam(0.01, weightDecay: 0.1), 5 },
        { "AdamW", p => optim.AdamW(p, 0.01, weight_decay: 0.1), () => new DifferentiableAdamW(0.01, weightDecay: 0.1), 5 },
        { "Adam AMSGrad", p => optim.Adam(p, 0.01, beta2: 0.9, amsgrad: true), () => new DifferentiableAdam(0.01, beta2: 0.9, amsgrad: true), 5 },
        { "AdamW AMSGrad", p => optim.AdamW(p, 0.01, beta2: 0.9, weight_decay: 0.1, amsgrad: true), () => new DifferentiableAdamW(0.01, beta2: 0.9, weightDecay: 0.1, amsgrad: true), 5 },
        { "AdaGrad", p => optim.Adagrad(p, 0.1, lr_decay: 0.01, weight_decay: 0.01, initial_accumulator_value: 0.1), () => new DifferentiableAdaGrad(0.1, learningRateDecay: 0.01, weightDecay: 0.01, initialAccumulatorValue: 0.1), 5 },
        { "AdaDelta", p => optim.Adadelta(p, 1.0, weight_decay: 0.01), () => new DifferentiableAdaDelta(1.0, weightDecay: 0.01), 5 },
        { "AdaMax", p => optim.Adamax(p, 0.01, weight_decay: 0.01), () => new DifferentiableAdaMax(0.01, weightDecay: 0.01), 5 },
        { "RAdam", p => optim.RAdam(p, 0.01, weight_decay: 0.01), () => new DifferentiableRAdam(0.01, weightDecay: 0.01), 5 },
        // β₂ = 0.9 reaches the rectified branch (ρₜ > 5) at step 6; lr = 1 because TorchSharp applies lr twice there.
        { "RAdam rectified", p => optim.RAdam(p, 1.0, beta2: 0.9), () => new DifferentiableRAdam(1.0, beta2: 0.9), 8 },
        { "RMSProp", p => optim.RMSProp(p, 0.01), () => new DifferentiableRmsProp(0.01), 5 },
        { "RMSProp centered momentum wd", p => optim.RMSProp(p, 0.01, weight_decay: 0.01, momentum: 0.9, centered: true), () => new DifferentiableRmsProp(0.01, weightDecay: 0.01, momentum: 0.9, centered: true), 5 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_torch_optim_step_for_step_out_of_place_and_in_place(string name, Func<IEnumerable<Parameter>, optim.Optimizer> builtIn,
        Func<DifferentiableOptimizer> differentiable, int steps)
    {
        manual_seed(7);
        var mlp = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3));
        var x = randn(16, 4);
        var y = randn(16, 3);
        var initial = mlp.parameters().Select(p => p.detach().clone()).ToArray();
        string[] names = ["0.weight", "0.bias", "2.weight", "2.bias"];

        // torch.optim on the module.
        var reference = builtIn(mlp.parameters());
        for (int t = 0; t < steps; t++)
        {
            reference.zero_grad();
            F.mse_loss(mlp.call(x), y).backward();
            reference.step();
        }
        var expected = mlp.parameters().ToArray();

        // Out of place: every step stays in the graph of the initial leaves.
        var optimizer = differentiable();
        var leaves = initial.Select(p => p.clone().requires_grad_(true)).ToArray();
        Tensor[] current = leaves;
        var state = optimizer.Init(current);
        for (int t = 0; t < steps; t++)
        {
            var next = optimizer.Minimize(current, names, Loss(current, x, y), state);
            current = next.Parameters; state = next.State;
        }
        Assert.All(current, p => Assert.False(p.is_leaf));   // results stay in the autograd graph

        // In place, like torch.optim, on fresh leaves.
        var inPlace = initial.Select(p => p.clone().requires_grad_(true)).ToArray();
        var inPlaceOptimizer = differentiable();
        var inPlaceState = inPlaceOptimizer.Init(inPlace);
        for (int t = 0; t < steps; t++)
            inPlaceOptimizer.StepInPlace(inPlace, Gradients.Of(Loss(inPlace, x, y), "loss", inPlace, names), inPlaceState);
        Assert.Equal(steps, inPlaceState.Steps);

        for (int i = 0; i < expected.Length; i++)
        {
            AssertClose(expected[i], current[i], $"{name}: out-of-place {names[i]}");
            AssertClose(expected[i], inPlace[i], $"{name}: in-place {names[i]}");
            Assert.False(expected[i].detach().allclose(initial[i]), $"{name}: {names[i]} did not move, so the comparison proves nothing");
        }
    }

    static Tensor Loss(IReadOnlyList<Tensor> p, Tensor x, Tensor y) =>
        F.mse_loss(F.linear(F.tanh(F.linear(x, p[0], p[1])), p[2], p[3]), y);

    internal static void AssertClose(Tensor expected, Tensor actual, string what, double rtol = 3.25e-5, double atol = 2.5e-4)
    {
        var e = expected.detach().to(float64); var a = actual.detach().to(float64);
        var excess = ((a - e).abs() - (e.abs() * rtol + atol)).max().item<double>();
        Assert.True(excess <= 0, $"{what}: max |actual − expected| exceeds tolerance by {excess:g3}");
        Assert.True(a.isfinite().all().item<bool>(), $"{what}: not finite");
    }
}
