using Hypergrad.Data;
using Hypergrad.Optimizers;
using Hypergrad.Parameters;
using Hypergrad.Solving;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace Hypergrad.Tests.SingleLoop;

/// <summary>
/// The joint methods refuse, before any step, an outer variable whose hypergradient is structurally zero (F does not use
/// it and ∇_w g does not depend on it), and accept one that ∇_w g depends on even where its first direction is zero.
/// </summary>
public class OuterConnectionTests
{
    static (BilevelProblem<int, int> Problem, Parameter W, Parameter Lambda) Problem(Method method, Func<Tensor, Tensor, Tensor> inner, Func<Tensor, Tensor, Tensor> outer)
    {
        var w = new Parameter(tensor(new[] { 1.0, -2.0 }, dtype: float64));
        var lambda = new Parameter(tensor(new[] { 0.5 }, dtype: float64));
        var problem = new BilevelProblem<int, int>("Disconnected", new HypergradientSettings(method),
            new ParameterSet(ParameterSource.FromTensor("W", w)), new ParameterSet(ParameterSource.FromTensor("Lambda", lambda)),
            new Objective<int>("TrainLoss", _ => inner(w, lambda)), new Objective<int>("ValidationLoss", _ => outer(w, lambda)));
        return (problem, w, lambda);
    }

    static BilevelRunResult Run(BilevelProblem<int, int> problem) => BilevelSolver.Run(problem, new FiniteBatches<int>([0], 0), new FiniteBatches<int>([0], 1),
        new BilevelOptions { Steps = 5, InnerOptimizer = new DifferentiableSgd(0.1), OuterOptimizer = new DifferentiableSgd(0.1) });

    [Theory]
    [InlineData(Method.Soba)]
    [InlineData(Method.Saba)]
    [InlineData(Method.Amigo)]
    [InlineData(Method.F2sa)]
    [InlineData(Method.Bome)]
    public void An_outer_variable_only_in_a_term_without_the_inner_variables_is_refused_before_any_step(Method method)
    {
        // g = ½‖w‖² + λ² : w*(λ) = 0 whatever λ, and F = ½‖w − 1‖² does not use λ, so dF(w*(λ))/dλ ≡ 0.
        var (problem, w, lambda) = Problem(method, (w, l) => 0.5 * w.pow(2).sum() + l.pow(2).sum(), (w, _) => 0.5 * (w - 1).pow(2).sum());
        var before = (W: w.detach().clone(), Lambda: lambda.detach().clone());
        var error = Assert.Throws<HypergradException>(() => Run(problem));
        Assert.StartsWith("Disconnected: outer variable 'Lambda' reaches neither the outer objective ValidationLoss nor the gradient of the inner objective TrainLoss", error.Message);
        Assert.Contains("remove its [Outer] mark", error.Message);
        Assert.True(w.detach().eq(before.W).all().item<bool>() && lambda.detach().eq(before.Lambda).all().item<bool>(), "a refused run must leave the variables as they were");
    }

    [Fact]
    public void An_outer_variable_coupled_to_the_inner_variables_runs_though_its_first_direction_is_zero()
    {
        // g = ½‖w − λ‖², F = ½‖w − 1‖²: F does not use λ and SOBA's first direction −∂²_{λw}g·z is 0 (z starts at 0), but λ moves later.
        var (problem, _, lambda) = Problem(Method.Soba, (w, l) => 0.5 * (w - l).pow(2).sum(), (w, _) => 0.5 * (w - 1).pow(2).sum());
        Run(problem);
        Assert.NotEqual(0.5, lambda.detach().item<double>());
    }
}
