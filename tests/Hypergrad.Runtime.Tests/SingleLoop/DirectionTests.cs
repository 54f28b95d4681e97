using Hypergrad.Optimizers;
using Hypergrad.Solving;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Hypergrad.Tests.SingleLoop;

/// <summary>
/// Finite-difference checks of each method's hyper-step direction on <see cref="BilevelQuadratic"/>, through
/// <c>ComputeHypergradient</c> (one iteration per call, λ held fixed): once w and the method's own state have converged, the
/// single-loop methods' direction is ∇Φ(λ) of the value function Φ(λ) = F(w*(λ), λ), and the penalty methods' is the gradient
/// of the penalty L_σ(λ) = min_w [F + σg] − σ min_g; both by central differences of closed forms. BOME's direction is checked
/// term by term against differences of F and of q(λ) = g(w, λ) − min_y g(y, λ).
/// </summary>
public class DirectionTests
{
    static readonly double[] StartLambda = [0.7, -0.4, 0.9];

    static BilevelQuadratic Problem(HypergradientSettings settings)
    {
        var q = new BilevelQuadratic(settings);
        using (no_grad()) q.Lambda.copy_(tensor(StartLambda, dtype: float64));
        q.Problem.InnerOptimizer = new DifferentiableSgd(0.3);
        return q;
    }

    static HypergradientResult Iterate(BilevelQuadratic q, int calls)
    {
        HypergradientResult? last = null;
        for (int k = 0; k < calls; k++)
        {
            last?.Dispose();
            using (no_grad()) q.Lambda.grad?.zero_();
            last = q.Problem.ComputeHypergradient(0, 0);
        }
        return last!;
    }

    [Theory]
    [InlineData(Method.Soba)]
    [InlineData(Method.MaSoba)]
    [InlineData(Method.Saba)]
    [InlineData(Method.Amigo)]
    [InlineData(Method.StocBio)]
    public void Single_loop_directions_at_their_fixed_point_are_the_value_functions_gradient(Method method)
    {
        var settings = new HypergradientSettings(method)
        {
            StepExponent = 0,
            AuxiliaryStepSize = method == Method.StocBio ? 0.7 : null,
            Averaging = method == Method.MaSoba ? 0.5 : null,
            InnerSteps = method is Method.Amigo or Method.StocBio ? 2 : null,
            Iterations = method == Method.StocBio ? 60 : method == Method.Amigo ? 2 : null,
        };
        var q = Problem(settings);
        using var result = Iterate(q, method == Method.StocBio ? 60 : 300);
        var expected = q.ValueGradientByDifferences(q.Lambda.detach());
        double error = BilevelQuadratic.RelativeError(result["Lambda"], expected);
        Assert.True(error < 1e-7, $"{method}: direction {result["Lambda"].str()} vs differences {expected.str()}: relative error {error:E2}");
        Assert.Equal(HypergradientKind.Estimate, result.Kind);
        Assert.True(result.Converged, result.ToString());
        // ComputeHypergradient added the direction (schedule factor 1) to .grad.
        Assert.True(BilevelQuadratic.RelativeError(q.Lambda.grad!, result["Lambda"]) < 1e-15);
    }

    /// <summary>L_σ(λ) = F(w_σ, λ) + σ(g(w_σ, λ) − g(y*, λ)), w_σ = argmin F + σg = (I + σH)⁻¹(t + σ(Bλ + c)), y* = H⁻¹(Bλ + c).</summary>
    static double Penalty(BilevelQuadratic q, Tensor lambda, double sigma)
    {
        var b = q.B.mv(lambda) + q.C;
        var w = linalg.solve(eye(BilevelQuadratic.D, dtype: float64) + sigma * q.H, q.Target + sigma * b);
        var y = linalg.solve(q.H, b);
        double G(Tensor v) => (0.5 * v.dot(q.H.mv(v)) - v.dot(b)).ToDouble();
        double f = (0.5 * (w - q.Target).pow(2).sum() + 0.5 * BilevelQuadratic.Mu * lambda.pow(2).sum()).ToDouble();
        return f + sigma * (G(w) - G(y));
    }

    [Theory]
    [InlineData(Method.F2sa)]
    [InlineData(Method.Pgdm)]
    public void Penalty_directions_at_their_fixed_point_are_the_penalty_functions_gradient(Method method)
    {
        const double sigma = 5;
        var q = Problem(new HypergradientSettings(method) { InnerSteps = 5, PenaltyStart = sigma, StepExponent = 0 } with
        {
            PenaltyGrowth = method == Method.F2sa ? 0 : null,
        });
        using var result = Iterate(q, 300);
        var expected = q.ValueGradientByDifferences(q.Lambda.detach(), l => Penalty(q, l, sigma));
        var direction = method == Method.Pgdm ? result["Lambda"] * sigma : result["Lambda"];   // Pgdm's direction is ∇L_σ / σ
        double error = BilevelQuadratic.RelativeError(direction, expected);
        Assert.True(error < 1e-7, $"{method}: direction {direction.str()} vs differences {expected.str()}: relative error {error:E2}");
        Assert.Equal(0, result.HessianVectorProducts);
        Assert.Equal(HypergradientKind.Approximation, result.Kind);
        Assert.Contains("O(1/σ)", result.Approximation);
    }

    [Fact]
    public void Bome_direction_is_its_projection_of_grad_F_built_from_differences()
    {
        const double eta = 0.5;
        var q = Problem(new HypergradientSettings(Method.Bome) { InnerSteps = 200, AuxiliaryStepSize = 0.7, Eta = eta });
        using (no_grad()) q.W.copy_(tensor(new[] { 0.3, -0.2, 0.5, 0.1, -0.6, 0.4 }, dtype: float64));
        var w = q.W.detach().clone();
        var lambda = q.Lambda.detach().clone();
        using var result = q.Problem.ComputeHypergradient(0, 0);

        // q(w, λ) = g(w, λ) − min_y g(y, λ) (y_T = y* after 200 steps at η = 0.7); F(w, λ); all derivatives by differences.
        double G(Tensor v, Tensor l) => (0.5 * v.dot(q.H.mv(v)) - v.dot(q.B.mv(l) + q.C)).ToDouble();
        double Q(Tensor v, Tensor l) => G(v, l) - G(q.InnerSolution(l), l);
        double F(Tensor v, Tensor l) => (0.5 * (v - q.Target).pow(2).sum() + 0.5 * BilevelQuadratic.Mu * l.pow(2).sum()).ToDouble();
        static Tensor Differences(Func<Tensor, double> f, Tensor at)
        {
            const double h = 1e-5;
            var gradient = zeros_like(at);
            for (int k = 0; k < at.numel(); k++)
            {
                var e = zeros_like(at);
                e[k] = h;
                gradient[k] = (f(at + e) - f(at - e)) / (2 * h);
            }
            return gradient;
        }
        var qW = Differences(v => Q(v, lambda), w);
        var qLambda = Differences(l => Q(w, l), lambda);
        var fW = Differences(v => F(v, lambda), w);
        var fLambda = Differences(l => F(w, l), lambda);
        double squared = (qW.dot(qW) + qLambda.dot(qLambda)).ToDouble();
        double multiplier = Math.Max(eta * squared - (fW.dot(qW) + fLambda.dot(qLambda)).ToDouble(), 0) / squared;
        var expected = fLambda + multiplier * qLambda;

        double error = BilevelQuadratic.RelativeError(result["Lambda"], expected);
        Assert.True(error < 1e-7, $"direction {result["Lambda"].str()} vs differences {expected.str()} (μ = {multiplier:G4}): relative error {error:E2}");
        Assert.True(multiplier > 0);
        Assert.Equal(0, result.HessianVectorProducts);
        // w stepped along ∇_w F + μ ∇_w q with the inner rate 0.3.
        Assert.True(BilevelQuadratic.RelativeError(q.W.detach(), w - 0.3 * (fW + multiplier * qW)) < 1e-7);
    }
}
