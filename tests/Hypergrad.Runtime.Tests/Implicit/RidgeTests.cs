using Hypergrad.Implicit;
using Hypergrad.Parameters;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace Hypergrad.Tests.Implicit;

/// <summary>Closed-form check 2 (docs/methods.md): ridge regression, the regularisation strength as the outer variable.</summary>
public class RidgeTests
{
    [Fact]
    public void Hypergradient_of_the_ridge_strength_matches_the_closed_form()
    {
        const int n = 1024, d = 10, nq = 256;
        var generator = new Generator(3);
        var x = randn(n, d, dtype: float64, generator: generator);
        var trueW = randn(d, dtype: float64, generator: generator);
        var y = x.mv(trueW) + 0.5 * randn(n, dtype: float64, generator: generator);
        var xq = randn(nq, d, dtype: float64, generator: generator);
        var yq = xq.mv(trueW) + 0.5 * randn(nq, dtype: float64, generator: generator);
        double lambdaValue = 0.05;

        // w* = (XᵀX + nλI)⁻¹ Xᵀy;  dF/dλ = −n ∇F(w*)ᵀ (XᵀX + nλI)⁻¹ w*,  ∇F = (2/n_q) X_qᵀ (X_q w* − y_q).
        var system = x.T.mm(x) + n * lambdaValue * eye(d, dtype: float64);
        var wStar = linalg.solve(system, x.T.mv(y));
        var gradF = 2.0 / nq * xq.T.mv(xq.mv(wStar) - yq);
        double expected = -n * gradF.dot(linalg.solve(system, wStar)).ToDouble();

        var w = new Parameter(wStar.clone());
        var lambda = new Parameter(tensor(lambdaValue, dtype: float64));
        var engine = new ImplicitHypergradient(new ParameterSet(("W", w)), new ParameterSet(("Lambda", lambda)),
            new ConjugateGradient { Iterations = 50, Tolerance = 1e-12 });
        using var result = engine.Compute(
            () => 0.5 * (x.mv(w) - y).pow(2).mean() + 0.5 * lambda * w.pow(2).sum(),
            () => (xq.mv(w) - yq).pow(2).mean());

        double actual = result["Lambda"].ToDouble();
        Assert.True(Math.Abs(actual - expected) <= 1e-8 * Math.Abs(expected), $"{actual} vs {expected}");
        Assert.True(result.Converged);
    }
}
