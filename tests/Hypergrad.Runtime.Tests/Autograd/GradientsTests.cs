using Hypergrad.Autograd;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Hypergrad.Tests.Autograd;

public class GradientsTests
{
    // f(x) = Σ xᵢ³ + x₀x₁  ⇒  ∇f = 3x² + (x₁, x₀, 0),  H = diag(6x) + [[0,1,0],[1,0,0],[0,0,0]].
    static Tensor F(Tensor x) => x.pow(3).sum() + x[0] * x[1];

    [Fact]
    public void HessianVectorProduct_by_double_backward_matches_closed_form()
    {
        var x = tensor(new[] { 0.5, -1.25, 2.0 }, dtype: float64, requires_grad: true);
        var v = tensor(new[] { 1.5, 0.25, -3.0 }, dtype: float64);

        var grad = Gradients.Of(F(x), "objective f", new[] { x }, new[] { "x" }, createGraph: true);
        var hv = Gradients.VectorJacobianProduct(grad, "gradient of f", new[] { v }, new[] { x }, new[] { "x" })[0];

        double[] xs = { 0.5, -1.25, 2.0 }, vs = { 1.5, 0.25, -3.0 };
        double[] expected =
        {
            6 * xs[0] * vs[0] + vs[1],
            6 * xs[1] * vs[1] + vs[0],
            6 * xs[2] * vs[2],
        };
        var actual = hv.data<double>().ToArray();
        for (int i = 0; i < 3; i++) Assert.Equal(expected[i], actual[i], 12);

        var g = grad[0].data<double>().ToArray();
        Assert.Equal(3 * 0.25 + -1.25, g[0], 12);
        Assert.Equal(3 * 1.5625 + 0.5, g[1], 12);
        Assert.Equal(3 * 4.0, g[2], 12);
    }

    [Fact]
    public void Unused_input_throws_a_named_exception_instead_of_aborting()
    {
        var x = tensor(new[] { 1.0, 2.0 }, dtype: float64, requires_grad: true);
        var unused = tensor(new[] { 3.0 }, dtype: float64, requires_grad: true);
        var ex = Assert.Throws<HypergradException>(() =>
            Gradients.Of(x.pow(2).sum(), "inner objective", new[] { x, unused }, new[] { "x", "Model.bias" }));
        Assert.Contains("Model.bias", ex.Message);

        var zeroed = Gradients.Of(x.pow(2).sum(), "inner objective", new[] { x, unused }, new[] { "x", "Model.bias" }, unused: UnusedInput.Zero);
        Assert.Equal(0.0, zeroed[1].item<double>());
        Assert.Equal(4.0, zeroed[0][1].item<double>());
    }

    [Fact]
    public void Non_scalar_and_constant_outputs_are_refused_with_the_fix()
    {
        var x = tensor(new[] { 1.0, 2.0 }, dtype: float64, requires_grad: true);
        var notScalar = Assert.Throws<HypergradException>(() => Gradients.Of(x * 2, "outer objective ValidationLoss", new[] { x }, new[] { "x" }));
        Assert.Contains(".mean()", notScalar.Message);

        var constant = Assert.Throws<HypergradException>(() => Gradients.Of(x.detach().sum(), "outer objective ValidationLoss", new[] { x }, new[] { "x" }));
        Assert.Contains("ValidationLoss", constant.Message);

        var leaf = tensor(new[] { 1.0 }, dtype: float64);
        var notTracked = Assert.Throws<HypergradException>(() => Gradients.Of(x.sum(), "objective", new[] { leaf }, new[] { "LogDecay" }));
        Assert.Contains("LogDecay", notTracked.Message);
    }

    [Fact]
    public void A_graph_can_be_differentiated_twice()
    {
        // retain_graph is always on: a second call on the same graph would otherwise abort the process.
        var x = tensor(new[] { 1.0, 2.0 }, dtype: float64, requires_grad: true);
        var y = x.pow(2).sum();
        var first = Gradients.Of(y, "objective", new[] { x }, new[] { "x" })[0];
        var second = Gradients.Of(y, "objective", new[] { x }, new[] { "x" })[0];
        Assert.Equal(first.data<double>().ToArray(), second.data<double>().ToArray());
    }
}
