using Hypergrad.Parameters;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace Hypergrad.Tests.Parameters;

/// <summary>Variables that would abort libtorch later are refused by name when the parameter set is built.</summary>
public class RefusedVariablesTests
{
    [Fact]
    public void An_empty_variable_is_refused_by_name()
    {
        var e = Assert.Throws<HypergradException>(() => new ParameterSet(("Ok", ones(2, dtype: float64)), ("Empty", zeros(0, 3, dtype: float64))));
        Assert.Contains("'Empty'", e.Message);
        Assert.Contains("[0, 3]", e.Message);
    }

    [Fact]
    public void A_module_whose_only_parameter_was_disposed_is_refused_with_the_likely_cause()
    {
        var model = nn.Linear(3, 1, hasBias: false, dtype: float64);
        model.weight!.Dispose();
        var e = Assert.Throws<HypergradException>(() => new ParameterSet(("Model", model)));
        Assert.Contains("disposed", e.Message);
    }

    [Fact]
    public void Substituted_variables_refuse_in_place_changes_with_an_ordinary_exception()
    {
        // The views come from one split: autograd refuses to modify them in place (instead of corrupting saved values).
        var w = new Parameter(ones(2, 2, dtype: float64));
        var b = new Parameter(ones(3, dtype: float64));
        var set = new ParameterSet(("W", (Tensor)w), ("B", (Tensor)b));
        var leaf = set.CreateLeaf();
        var iterate = leaf * 2;   // a non-leaf, as in an unrolled trajectory
        using (set.Substitute(iterate))
        {
            Assert.ThrowsAny<Exception>(() => w.mul_(3.0));
            Assert.Equal(2.0, w.sum().ToDouble() / 4, 12);   // the substituted values are untouched
        }
        Assert.Equal(4.0, w.sum().ToDouble(), 12);
    }
}
