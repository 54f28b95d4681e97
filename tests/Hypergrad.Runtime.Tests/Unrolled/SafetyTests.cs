using Hypergrad.Optimizers;
using Hypergrad.Parameters;
using Hypergrad.Unrolled;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Hypergrad.Tests.Unrolled;

/// <summary>No silent NaN, no process abort: bad situations become named HypergradExceptions.</summary>
public class SafetyTests
{
    [Fact]
    public void A_diverging_inner_loop_is_reported_not_returned_as_NaN()
    {
        var q = new Quadratic();
        var ex = Assert.Throws<HypergradException>(() =>
            UnrolledHypergradient.Compute(q.Problem(new DifferentiableSgd(1e3)), Method.ReverseUnroll, new UnrolledOptions { UnrollSteps = 200 }));
        Assert.Contains("diverged", ex.Message);
        Assert.Contains("'w'", ex.Message.Replace("w contain", "'w' contain"));
    }

    [Fact]
    public void A_NaN_hypergradient_is_reported_with_its_likely_cause()
    {
        // Adam without eps_root at an exactly zero gradient: the meta-gradient is 0·∞ = NaN.
        var w = tensor(new[] { 1.0, 2.0 }, requires_grad: true);
        var lr = tensor(0.1, float64, requires_grad: true);
        var mask = tensor(new[] { 1.0, 0.0 });
        var problem = new UnrolledProblem(new ParameterSet(("w", w)), new ParameterSet(("lr", lr)),
            () => (w * mask).pow(2).sum(), () => w.sum(), new DifferentiableAdam(lr));
        var ex = Assert.Throws<HypergradException>(() => UnrolledHypergradient.Compute(problem, Method.ReverseUnroll, new UnrolledOptions { UnrollSteps = 3 }));
        Assert.Contains("'lr'", ex.Message);
        Assert.Contains("epsRoot", ex.Message);
    }

    [Fact]
    public void An_outer_variable_no_objective_uses_gets_a_zero_gradient_and_a_warning()
    {
        var q = new Quadratic();
        var unused = tensor(new[] { 1.0 }, requires_grad: true);
        var problem = new UnrolledProblem(q.Inner, new ParameterSet(("lambda", q.Lambda), ("Unused", unused)), q.InnerObjective, q.OuterObjective, new DifferentiableSgd(0.1));
        var result = UnrolledHypergradient.Compute(problem, Method.ReverseUnroll, new UnrolledOptions { UnrollSteps = 3 });
        Assert.Equal(0.0, result["Unused"].item<double>());
        Assert.Contains(result.Warnings, w => w.Contains("'Unused'"));
    }

    [Fact]
    public void A_variable_in_both_sets_is_refused()
    {
        var q = new Quadratic();
        var ex = Assert.Throws<HypergradException>(() => new UnrolledProblem(q.Inner, new ParameterSet(("again", q.W)), q.InnerObjective, q.OuterObjective, new DifferentiableSgd(0.1)));
        Assert.Contains("InitializationUnroll", ex.Message);
    }

    [Fact]
    public void An_implicit_method_is_not_taken_for_an_unrolled_one()
    {
        var q = new Quadratic();
        var ex = Assert.Throws<HypergradException>(() => UnrolledHypergradient.Compute(q.Problem(new DifferentiableSgd(0.1)), Method.ConjugateGradient));
        Assert.Contains("ReverseUnroll", ex.Message);
    }
}
