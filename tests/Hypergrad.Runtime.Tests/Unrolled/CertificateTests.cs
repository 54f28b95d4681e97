using Hypergrad.Optimizers;
using Hypergrad.Unrolled;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Hypergrad.Tests.Unrolled;

/// <summary>
/// Every unrolled method's certificate, both ways: <c>Converged</c> is the inner stationarity ‖∇g(w_T)‖/‖∇g(w₀)‖ against the
/// tolerance (checked against the closed-form gradient Hw − (Bλ + c) of the quadratic), and <c>Kind</c> says whether the number
/// is exact for the unrolled steps or an approximation (with the reason, also as a warning).
/// </summary>
public class CertificateTests
{
    const double Eta = 0.2;
    const int Few = 3, Many = 400;   // 3 steps end far from w*; 400 steps reach it to rounding (contraction ≤ 0.9 per step)

    static double ClosedFormStationarity(Quadratic q, int steps)
    {
        using var _ = no_grad();
        var iterates = q.Iterates(Eta, steps);
        Tensor Gradient(Tensor w) => q.H.mv(w) - q.B.mv(q.Lambda) - q.C;
        return Gradient(iterates[^1]).norm().item<double>() / Gradient(iterates[0]).norm().item<double>();
    }

    static UnrolledOptions Options(int steps, Method method) =>
        new() { InnerSteps = steps, TruncationSteps = method == Method.TruncatedUnroll ? 2 : 0, FiniteDifferenceStepSize = Eta };

    [Theory]
    [InlineData(Method.ReverseUnroll, HypergradientKind.ExactForUnrolledSteps)]
    [InlineData(Method.ReverseRecompute, HypergradientKind.ExactForUnrolledSteps)]
    [InlineData(Method.TruncatedUnroll, HypergradientKind.Approximation)]
    [InlineData(Method.PessimisticTrajectoryTruncation, HypergradientKind.Approximation)]
    [InlineData(Method.FirstOrder, HypergradientKind.Approximation)]
    [InlineData(Method.FiniteDifference, HypergradientKind.Approximation)]
    [InlineData(Method.GradientAlignment, HypergradientKind.Approximation)]
    public void Converged_is_the_inner_stationarity_against_the_tolerance(Method method, HypergradientKind kind)
    {
        var far = new Quadratic();
        using var few = UnrolledHypergradient.Compute(far.Problem(new DifferentiableSgd(Eta)), method, Options(Few, method));
        double expected = ClosedFormStationarity(far, Few);
        Assert.True(expected > 0.1, $"the short run should end far from w* ({expected})");
        Assert.Equal(expected, few.InnerStationarity, 10);
        Assert.False(few.Converged, few.ToString());
        Assert.Contains(few.Warnings, w => w.Contains("not stationary"));

        var near = new Quadratic();
        using var many = UnrolledHypergradient.Compute(near.Problem(new DifferentiableSgd(Eta)), method, Options(Many, method));
        Assert.True(many.InnerStationarity <= 1e-12, many.ToString());
        Assert.True(many.Converged, many.ToString());
        Assert.DoesNotContain(many.Warnings, w => w.Contains("not stationary"));

        foreach (var result in new[] { few, many })
        {
            Assert.Equal(kind, result.Kind);
            if (kind == HypergradientKind.Approximation)
            {
                Assert.False(string.IsNullOrEmpty(result.Approximation));
                Assert.Contains(result.Warnings, w => w.StartsWith($"{method} is an approximation: "));
            }
            else Assert.Null(result.Approximation);
        }
    }

    [Fact]
    public void A_tolerance_met_early_certifies_a_short_run()
    {
        var q = new Quadratic();
        double stationarity = ClosedFormStationarity(q, Few);
        using var loose = UnrolledHypergradient.Compute(q.Problem(new DifferentiableSgd(Eta)), Method.ReverseUnroll,
            new UnrolledOptions { InnerSteps = Few, Tolerance = stationarity * 1.01 });
        Assert.True(loose.Converged, loose.ToString());
        Assert.Contains("Tolerance", Assert.Throws<HypergradException>(() =>
            UnrolledHypergradient.Compute(q.Problem(new DifferentiableSgd(Eta)), Method.ReverseUnroll, new UnrolledOptions { Tolerance = double.NaN })).Message);
    }

    [Fact]
    public void GradientAlignment_at_a_converged_trajectory_is_finite_and_says_it_applied_no_correction()
    {
        // At w* the alignment coefficient ⟨∇F, ∇g⟩/‖∇g‖² divides by a norm at rounding level (it was off by 1e15): the
        // correction is dropped, so the hypergradient is ∇_λF = μλ exactly, with a warning naming the remedy.
        var q = new Quadratic();
        using var result = UnrolledHypergradient.Compute(q.Problem(new DifferentiableSgd(Eta)), Method.GradientAlignment, new UnrolledOptions { InnerSteps = Many });
        Assert.True(result.InnerStationarity > 0, "∇g(w_T) must be rounding noise, not exactly zero, for this to test the division");
        Quadratic.AssertClose(Quadratic.Mu * q.Lambda.detach(), result["lambda"], 1e-15, "IGA at w*");
        Assert.Contains(result.Warnings, w => w.Contains("no correction") && w.Contains("ConjugateGradient"));
    }
}
