using Hypergrad.Autograd;
using Hypergrad.Parameters;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace Hypergrad.Tests.Parameters;

public class ParameterSetTests
{
    static double[] Values(Tensor t) => t.detach().reshape(-1).data<double>().ToArray();

    static (Sequential model, Parameter scale, Tensor shift, ParameterSet set) Build()
    {
        manual_seed(1);
        var model = nn.Sequential(("l1", nn.Linear(3, 4, dtype: float64)), ("act", nn.Tanh()), ("l2", nn.Linear(4, 1, dtype: float64)));
        var scale = new Parameter(tensor(new[] { 1.5, -0.5 }, dtype: float64));
        var shift = tensor(0.25, dtype: float64);
        var set = new ParameterSet(("Model", model), ("Scale", scale), ("Shift", shift));
        return (model, scale, shift, set);
    }

    static Tensor Objective(Sequential model, Tensor scale, Tensor shift, Tensor x) =>
        (model.call(x).squeeze(-1) * scale.sum() + shift).pow(2).mean() + scale.pow(2).sum() * shift;

    [Fact]
    public void Values_live_in_one_flat_buffer_that_the_original_objects_view()
    {
        var (model, scale, shift, set) = Build();
        Assert.Equal(new[] { "Model.l1.weight", "Model.l1.bias", "Model.l2.weight", "Model.l2.bias", "Scale", "Shift" }, set.Names);
        Assert.Equal(12 + 4 + 4 + 1 + 2 + 1, set.Size);
        Assert.Same(scale, set[4].Tensor);
        Assert.Same(model.parameters().First(), set[0].Tensor);

        var expected = set.Select(v => Values(v.Tensor)).SelectMany(v => v).ToArray();
        Assert.Equal(expected, Values(set.Flat));
        Assert.Equal(Values(scale), Values(set.View(set.Flat, 4)));

        // An in-place update of the buffer is an update of every variable, and vice versa.
        using (no_grad()) set.Flat.add_(1.0);
        Assert.Equal(expected.Select(v => v + 1).ToArray(), set.Select(v => Values(v.Tensor)).SelectMany(v => v).ToArray());
        var optimizer = optim.SGD(model.parameters(), 0.1);
        Objective(model, scale, shift, ones(5, 3, dtype: float64)).backward();
        var before = Values(set.Flat);
        optimizer.step();
        Assert.NotEqual(before[0], Values(set.Flat)[0]);
        Assert.Equal(Values(set[0].Tensor)[0], Values(set.Flat)[0]);
    }

    [Fact]
    public void Gradient_with_respect_to_a_substituted_leaf_equals_ordinary_backward()
    {
        var (model, scale, shift, set) = Build();
        var x = randn(6, 3, dtype: float64);

        var w = set.CreateLeaf();
        Tensor loss;
        using (set.Substitute(w)) loss = Objective(model, scale, shift, x);
        var flatGrad = Gradients.Of(loss, "objective", new[] { w }, new[] { "flat" })[0];

        shift.requires_grad_(true);
        Objective(model, scale, shift, x).backward();
        var expected = set.Select(v => Values(v.Tensor.grad!)).SelectMany(v => v).ToArray();
        var actual = Values(flatGrad);
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 12);
    }

    [Fact]
    public void Substituted_values_are_used_and_the_originals_restored_even_after_an_exception()
    {
        var (model, scale, shift, set) = Build();
        var x = randn(4, 3, dtype: float64);
        var original = Values(model.call(x));

        // Evaluate at doubled values through the module's own forward, then compare with a copy.
        var doubled = set.Flat * 2;
        double[] substituted;
        using (set.Substitute(doubled)) substituted = Values(model.call(x));
        using (no_grad()) set.Flat.mul_(2);
        Assert.Equal(Values(model.call(x)), substituted);
        using (no_grad()) set.Flat.div_(2);

        Assert.Throws<InvalidOperationException>(() => ThrowWhileSubstituted(set, doubled));
        Assert.Equal(original, Values(model.call(x)));
        Assert.True(scale.is_leaf);
        Assert.True(model.parameters().All(p => p.is_leaf));
        using (set.Substitute(doubled)) { } // not left "already substituted"
    }

    static void ThrowWhileSubstituted(ParameterSet set, Tensor flat)
    {
        using (set.Substitute(flat)) throw new InvalidOperationException("objective failed");
    }

    [Fact]
    public void Tied_parameters_are_one_variable()
    {
        var layer = nn.Linear(2, 2, dtype: float64);
        var set = new ParameterSet(("A", layer), ("B", layer.weight));
        Assert.Equal(new[] { "A.weight", "A.bias" }, set.Names);
    }

    [Fact]
    public void Native_weight_modules_are_refused_naming_the_module_type()
    {
        var model = nn.Sequential(("embed", nn.Embedding(10, 3)), ("head", nn.Linear(3, 1)));
        var ex = Assert.Throws<HypergradException>(() => new ParameterSet(("Model", model)));
        Assert.Contains("'Model.embed' is a TorchSharp Embedding", ex.Message);

        var lstm = Assert.Throws<HypergradException>(() => new ParameterSet(("Encoder", nn.LSTM(3, 2))));
        Assert.Contains("LSTM", lstm.Message);

        var frozen = nn.Embedding(10, 3);
        frozen.weight!.requires_grad_(false);
        var set = new ParameterSet(("Frozen", frozen), ("Head", nn.Linear(3, 1)));
        Assert.Equal(new[] { "Head.weight", "Head.bias" }, set.Names);
    }

    [Fact]
    public void Bad_variables_and_substitutes_are_refused_with_the_fix()
    {
        var mixed = Assert.Throws<HypergradException>(() =>
            new ParameterSet(("A", zeros(2, dtype: float64)), ("B", zeros(2, dtype: float32))));
        Assert.Contains("'B' is Float32", mixed.Message);

        var leaf = zeros(2, dtype: float64, requires_grad: true);
        var notLeaf = Assert.Throws<HypergradException>(() => new ParameterSet(("Computed", leaf * 2)));
        Assert.Contains("'Computed' is not a leaf", notLeaf.Message);

        var integer = Assert.Throws<HypergradException>(() => new ParameterSet(("Count", zeros(2, dtype: int64))));
        Assert.Contains("floating point", integer.Message);

        var set = new ParameterSet(("A", zeros(3, dtype: float64)));
        Assert.Contains("3 elements", Assert.Throws<HypergradException>(() => set.Substitute(zeros(4, dtype: float64))).Message);
        using (set.Substitute(ones(3, dtype: float64)))
            Assert.Contains("already substituted", Assert.Throws<HypergradException>(() => set.Substitute(ones(3, dtype: float64))).Message);
    }

    [Fact]
    public void NonFiniteVariablesNamesExactlyTheVariablesHoldingNaNOrInf()
    {
        var a = new Parameter(ones(2, dtype: float64));
        var b = new Parameter(ones(3, dtype: float64));
        var c = new Parameter(ones(1, dtype: float64));
        using var set = new ParameterSet(("A", a), ("B", b), ("C", c));
        Assert.Empty(set.NonFiniteVariables());

        using (no_grad())
        {
            b[1] = tensor(double.NaN, dtype: float64);
            c[0] = tensor(double.NegativeInfinity, dtype: float64);
        }
        Assert.Equal(new[] { "B", "C" }, set.NonFiniteVariables());
    }
}
