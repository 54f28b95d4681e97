using Hypergrad.Autograd;
using Hypergrad.Optimizers;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Hypergrad.Tests.Optimizers;

/// <summary>Hyperparameters as outer variables: derivatives through optimizer steps, float64.</summary>
public class OptimizerMetaGradientTests
{
    // g(w) = ½wᵀHw − bᵀw, F(w) = ½‖w − target‖².
    static readonly Tensor H = tensor(new double[,] { { 2.0, 0.5, 0.0 }, { 0.5, 1.5, 0.25 }, { 0.0, 0.25, 1.0 } });
    static readonly Tensor B = tensor(new[] { 1.0, -2.0, 0.5 });
    static readonly Tensor Target = tensor(new[] { 0.3, 0.1, -0.4 });
    static Tensor Inner(Tensor w) => 0.5 * w.dot(H.mv(w)) - B.dot(w);
    static Tensor Outer(Tensor w) => 0.5 * (w - Target).pow(2).sum();

    [Fact]
    public void Learnable_step_size_matches_anchor_check_6()
    {
        // Closed-form check 6 (docs/methods.md): dF(w₁)/dη = −∇F(w₁)ᵀ ∇g(w₀).
        var eta = tensor(0.3, float64, requires_grad: true);
        var w0 = tensor(new[] { 0.5, -1.0, 2.0 }, requires_grad: true);
        var sgd = new DifferentiableSgd(eta);
        var w1 = sgd.Minimize([w0], ["w"], Inner(w0), sgd.Init([w0])).Parameters[0];
        var actual = Gradients.Of(Outer(w1), "outer objective", [eta], ["eta"])[0].item<double>();

        using var _ = no_grad();
        var gradG0 = H.mv(w0) - B;
        var w1Closed = w0 - 0.3 * gradG0;
        var expected = -(w1Closed - Target).dot(gradG0).item<double>();
        Assert.Equal(expected, actual, 12);
        Assert.NotEqual(0.0, expected, 3);
    }

    public static TheoryData<string, Func<Tensor, DifferentiableOptimizer>, double> TensorHyperparameters => new()
    {
        { "SGD momentum", m => new DifferentiableSgd(0.2, momentum: m, dampening: 0.1), 0.7 },
        { "SGD Nesterov momentum", m => new DifferentiableSgd(0.2, momentum: m, nesterov: true), 0.7 },
        { "SGD weight decay", wd => new DifferentiableSgd(0.2, momentum: 0.5, weightDecay: wd), 0.1 },
        { "Adam learning rate (eps_root)", lr => new DifferentiableAdam(lr, epsRoot: 1e-10), 0.05 },
        { "AdamW learning rate", lr => new DifferentiableAdamW(lr, weightDecay: 0.1), 0.05 },
        { "RMSProp momentum", m => new DifferentiableRmsProp(0.05, momentum: m, centered: true), 0.6 },
        { "AdaGrad learning rate", lr => new DifferentiableAdaGrad(lr), 0.1 },
        { "AdaDelta learning rate", lr => new DifferentiableAdaDelta(lr), 0.8 },
        { "AdaMax learning rate", lr => new DifferentiableAdaMax(lr), 0.05 },
        { "RAdam learning rate", lr => new DifferentiableRAdam(lr, beta2: 0.9), 0.05 },
    };

    [Theory]
    [MemberData(nameof(TensorHyperparameters))]
    public void Tensor_hyperparameter_gradient_matches_central_difference(string name, Func<Tensor, DifferentiableOptimizer> make, double value)
    {
        var h = tensor(value, float64, requires_grad: true);
        var analytic = Gradients.Of(RunOuterLoss(make(h)), "outer objective", [h], [name])[0].item<double>();

        const double step = 1e-6;
        double plus, minus;
        plus = RunOuterLoss(make(tensor(value + step, float64))).item<double>();
        minus = RunOuterLoss(make(tensor(value - step, float64))).item<double>();
        var numeric = (plus - minus) / (2 * step);

        Assert.True(double.IsFinite(analytic), $"{name}: {analytic}");
        Assert.True(Math.Abs(numeric) > 1e-4, $"{name}: the hyperparameter barely matters ({numeric}), so the check proves nothing");
        Assert.True(Math.Abs(analytic - numeric) <= 1e-6 + 1e-5 * Math.Abs(numeric), $"{name}: analytic {analytic} vs numeric {numeric}");
    }

    [Theory]
    [MemberData(nameof(TensorHyperparameters))]
    public void Per_step_function_of_an_outer_variable_is_evaluated_every_step_and_differentiated(string name, Func<Tensor, DifferentiableOptimizer> make, double value)
    {
        // One optimizer over h = exp(logH), built once: after logH changes in place, it must compute with the new value,
        // and d/dlogH = h·d/dh (chain rule through the expression, evaluated inside each step's graph).
        var logH = tensor(Math.Log(value), float64, requires_grad: true);
        var optimizer = MakePerStep(make, () => logH.exp());
        foreach (var current in new[] { value, 0.8 * value })
        {
            using (no_grad()) logH.fill_(Math.Log(current));
            var h = tensor(current, float64, requires_grad: true);
            var viaLeaf = RunOuterLoss(make(h));
            var perStep = RunOuterLoss(optimizer);
            Assert.Equal(viaLeaf.item<double>(), perStep.item<double>(), 14);
            var dh = Gradients.Of(viaLeaf, "outer objective", [h], [name])[0].item<double>();
            var dLogH = Gradients.Of(perStep, "outer objective", [logH], [name])[0].item<double>();
            Assert.True(Math.Abs(dLogH - current * dh) <= 1e-12 * Math.Max(1, Math.Abs(dLogH)), $"{name} at {current}: {dLogH} vs {current * dh}");
        }
    }

    /// <summary>The optimizer of <paramref name="make"/> with its tensor hyperparameter replaced by a per-step function.</summary>
    static DifferentiableOptimizer MakePerStep(Func<Tensor, DifferentiableOptimizer> make, Func<Tensor> value)
    {
        var probe = make(tensor(1.0, float64));
        var tensorName = probe.Hyperparameters.Single(h => h.Value.Tensor is not null).Name;
        // Rebuild with the function in the tensor's place: the factories take the hyperparameter as a Hyperparameter.
        return probe switch
        {
            DifferentiableSgd s => new DifferentiableSgd(tensorName == "learningRate" ? Hyperparameter.PerStep(value) : s.LearningRate,
                tensorName == "momentum" ? Hyperparameter.PerStep(value) : s.Momentum, s.Dampening,
                tensorName == "weightDecay" ? Hyperparameter.PerStep(value) : s.WeightDecay, s.Nesterov),
            DifferentiableAdamW a => new DifferentiableAdamW(value, a.Beta1, a.Beta2, a.Eps, a.EpsRoot, a.WeightDecay, a.Amsgrad),
            DifferentiableAdam a => new DifferentiableAdam(value, a.Beta1, a.Beta2, a.Eps, a.EpsRoot, a.WeightDecay, a.Amsgrad),
            DifferentiableRmsProp r => new DifferentiableRmsProp(r.LearningRate, r.Alpha, r.Eps, r.WeightDecay, Hyperparameter.PerStep(value), r.Centered),
            DifferentiableAdaGrad g => new DifferentiableAdaGrad(value, g.LearningRateDecay, g.WeightDecay, g.InitialAccumulatorValue, g.Eps),
            DifferentiableAdaDelta d => new DifferentiableAdaDelta(value, d.Rho, d.Eps, d.WeightDecay),
            DifferentiableAdaMax m => new DifferentiableAdaMax(value, m.Beta1, m.Beta2, m.Eps, m.WeightDecay),
            DifferentiableRAdam r => new DifferentiableRAdam(value, r.Beta1, r.Beta2, r.Eps, r.WeightDecay),
            _ => throw new InvalidOperationException(probe.GetType().Name),
        };
    }

    // Eight steps from w₀ (whose third coordinate has a zero gradient at first), then F.
    static Tensor RunOuterLoss(DifferentiableOptimizer optimizer)
    {
        var w = tensor(new[] { 0.5, -1.0, 0.5 }, requires_grad: true);
        Tensor current = w;
        var state = optimizer.Init([w]);
        for (int t = 0; t < 8; t++)
        {
            var next = optimizer.Minimize([current], ["w"], Inner(current), state);
            current = next.Parameters[0]; state = next.State;
        }
        return Outer(current);
    }

    [Fact]
    public void Adam_eps_root_keeps_the_meta_gradient_finite_where_a_gradient_is_exactly_zero()
    {
        // The inner loss multiplies w[1] by 0, so its gradient and second moment stay exactly 0 (but in the
        // graph) and √v has an infinite derivative there: without eps_root the meta-gradient is 0·∞ = NaN.
        Tensor Run(Tensor lr, double epsRoot)
        {
            var adam = new DifferentiableAdam(lr, epsRoot: epsRoot);
            var w = tensor(new[] { 1.0, 2.0 }, requires_grad: true);
            var mask = tensor(new[] { 1.0, 0.0 });
            Tensor current = w;
            var state = adam.Init([w]);
            for (int t = 0; t < 3; t++)
            {
                var next = adam.Minimize([current], ["w"], (current * mask).pow(2).sum(), state);
                current = next.Parameters[0]; state = next.State;
            }
            return current.sum();
        }
        double MetaGradient(double epsRoot)
        {
            var lr = tensor(0.1, float64, requires_grad: true);
            return Gradients.Of(Run(lr, epsRoot), "outer objective", [lr], ["lr"])[0].item<double>();
        }

        Assert.True(double.IsNaN(MetaGradient(0)));
        var withRoot = MetaGradient(1e-12);
        var numeric = (Run(tensor(0.1 + 1e-6), 1e-12).item<double>() - Run(tensor(0.1 - 1e-6), 1e-12).item<double>()) / 2e-6;
        Assert.Equal(numeric, withRoot, 6);
        Assert.True(Math.Abs(numeric) > 1, $"the learning rate barely matters ({numeric})");
    }

    [Fact]
    public void State_detach_clone_and_recover()
    {
        var lr = tensor(0.1, float64, requires_grad: true);
        var adam = new DifferentiableAdam(lr);
        var w = tensor(new[] { 0.5, -1.0, 2.0 }, requires_grad: true);
        var first = adam.Minimize([w], ["w"], Inner(w), adam.Init([w]));
        Assert.True(first.State[0, "exp_avg"].requires_grad);

        var stopped = first.State.Detach();              // stop-gradient, shares storage
        Assert.False(stopped[0, "exp_avg"].requires_grad);
        Assert.Equal(first.State.Steps, stopped.Steps);

        var saved = first.State.Clone();                 // deep copy
        var inPlaceState = first.State.Clone();
        var leaf = first.Parameters[0].detach().clone();
        adam.StepInPlace([leaf], [tensor(new[] { 1.0, 1.0, 1.0 })], inPlaceState);
        Assert.Equal(2, inPlaceState.Steps);
        Assert.False(inPlaceState[0, "exp_avg"].allclose(saved[0, "exp_avg"]));

        inPlaceState.CopyFrom(saved);                    // recover
        Assert.Equal(1, inPlaceState.Steps);
        Assert.True(inPlaceState[0, "exp_avg_sq"].allclose(first.State[0, "exp_avg_sq"].detach()));
        var missing = Assert.Throws<HypergradException>(() => inPlaceState[0, "momentum_buffer"]);
        Assert.Contains("exp_avg", missing.Message);
    }

    [Fact]
    public void Mismatched_gradients_and_bad_hyperparameters_are_refused_by_name()
    {
        var w = tensor(new[] { 1.0, 2.0 });
        var sgd = new DifferentiableSgd(0.1);
        var ex = Assert.Throws<HypergradException>(() => sgd.Step([w], [tensor(new[] { 1.0 })], sgd.Init([w])));
        Assert.Contains("shape", ex.Message);
        Assert.Contains("beta2", Assert.Throws<HypergradException>(() => new DifferentiableAdam(beta2: 1.0)).Message);
        Assert.Contains("Nesterov", Assert.Throws<HypergradException>(() => new DifferentiableSgd(0.1, nesterov: true)).Message);
    }

    // torch.optim refuses a negative learning rate, momentum or weight decay; NaN is refused too (it would train silently to NaN).
    [Theory]
    [InlineData(-0.1)]
    [InlineData(double.NaN)]
    public void Negative_or_NaN_hyperparameters_are_refused_by_name(double bad)
    {
        var refusals = new (string Name, Action Create)[]
        {
            ("learningRate", () => new DifferentiableSgd(bad)),
            ("momentum", () => new DifferentiableSgd(0.1, momentum: bad)),
            ("weightDecay", () => new DifferentiableSgd(0.1, weightDecay: bad)),
            ("learningRate", () => new DifferentiableAdam(bad)),
            ("weightDecay", () => new DifferentiableAdamW(0.1, weightDecay: bad)),
            ("learningRate", () => new DifferentiableAdaMax(bad)),
            ("learningRate", () => new DifferentiableRAdam(bad)),
            ("learningRate", () => new DifferentiableAdaGrad(bad)),
            ("learningRate", () => new DifferentiableAdaDelta(bad)),
            ("learningRate", () => new DifferentiableRmsProp(bad)),
            ("momentum", () => new DifferentiableRmsProp(0.1, momentum: bad)),
        };
        foreach (var (name, create) in refusals)
            Assert.Contains(name, Assert.Throws<HypergradException>(create).Message);

        // A tensor hyperparameter (an outer variable) is not checked: its value changes during the run.
        _ = new DifferentiableSgd(tensor(-0.1));
        _ = new DifferentiableSgd(() => tensor(-0.1));
    }
}
