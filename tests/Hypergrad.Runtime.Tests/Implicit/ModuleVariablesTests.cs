using Hypergrad.Implicit;
using Hypergrad.Parameters;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace Hypergrad.Tests.Implicit;

public class ModuleVariablesTests
{
    [Fact]
    public void A_module_as_outer_variable_gets_the_iMAML_meta_gradient()
    {
        // iMAML on a quadratic task: g = ½wᵀAw − bᵀw + (λ/2)‖w − θ‖², θ = the weights of a Linear module
        // (the meta-initialization), F = ½‖w − t‖². w* = (A + λI)⁻¹(b + λθ), dF/dθ = λ(A + λI)⁻¹(w* − t).
        const int d = 6;
        const double proximal = 2.0;
        var generator = new Generator(21);
        var r = randn(d, d, dtype: float64, generator: generator);
        var a = r.T.mm(r) / d;
        var b = randn(d, dtype: float64, generator: generator);
        var target = randn(d, dtype: float64, generator: generator);
        var meta = nn.Linear(1, d, hasBias: false, dtype: float64);   // weight [d, 1]
        var system = a + proximal * eye(d, dtype: float64);
        var w = new Parameter(linalg.solve(system, b + proximal * meta.weight!.detach().squeeze(1)));
        Tensor Theta() => meta.weight!.squeeze(1);

        var engine = new ImplicitHypergradient(new ParameterSet(("Adapted", w)), new ParameterSet(("Meta", meta)),
            new ConjugateGradient { Iterations = d, Tolerance = 1e-12 });
        using var result = engine.Compute(
            () => 0.5 * w.dot(a.mv(w)) - b.dot(w) + 0.5 * proximal * (w - Theta()).pow(2).sum(),
            () => 0.5 * (w - target).pow(2).sum(),
            accumulateGrad: true);

        var expected = proximal * linalg.solve(system, w.detach() - target);
        Assert.Equal("Meta.weight", result.Gradients[0].Name);
        Assert.Equal(new long[] { d, 1 }, result["Meta.weight"].shape);
        Assert.True((result["Meta.weight"].squeeze(1) - expected).abs().max().ToDouble() < 1e-10);
        Assert.True((meta.weight!.grad!.squeeze(1) - expected).abs().max().ToDouble() < 1e-10);
    }

    [Fact]
    public void OptimizerSolve_with_resampling_evaluates_the_inner_objective_every_step()
    {
        var q = new Quadratic();
        int evaluations = 0;
        var engine = new ImplicitHypergradient(q.Inner, q.Outer,
            new OptimizerSolve { Alpha = 1 / q.LargestEigenvalue, Iterations = 300, Tolerance = 0, Resample = true });
        using var result = engine.Compute(() => { evaluations++; return q.InnerObjective(); }, q.OuterObjective);
        // One evaluation for ∇_w g, then one before every product after the first (301 residuals for 300 steps).
        Assert.Equal(301, evaluations);
        Assert.Equal(301, result.HessianVectorProducts);
        Assert.True(Quadratic.RelativeError(result["Lambda"], q.Expected()) < 1e-5);
    }
}
