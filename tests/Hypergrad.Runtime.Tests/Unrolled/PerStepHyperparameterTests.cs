using Hypergrad.Optimizers;
using Hypergrad.Parameters;
using Hypergrad.Unrolled;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Hypergrad.Tests.Unrolled;

/// <summary>
/// A learning rate that is a function of an outer variable, η = exp(logEta), is evaluated at every inner step: after
/// logEta changes, every method computes with the new η (checked against the closed forms of check 5 in docs/methods.md and against a
/// constant learning rate), and the hypergradient reaches logEta through the expression.
/// </summary>
public class PerStepHyperparameterTests
{
    const int T = 7;

    static (Quadratic Q, Tensor LogEta, UnrolledProblem Problem) Setup(bool logEtaIsOuter)
    {
        var q = new Quadratic();
        var logEta = tensor(Math.Log(0.5), float64, requires_grad: true);
        var outer = logEtaIsOuter ? new ParameterSet(("lambda", q.Lambda), ("logEta", logEta)) : q.Outer;
        return (q, logEta, new UnrolledProblem(q.Inner, outer, q.InnerObjective, q.OuterObjective, new DifferentiableSgd(() => logEta.exp())));
    }

    static void Set(Tensor logEta, double eta) { using (no_grad()) logEta.fill_(Math.Log(eta)); }

    [Theory]
    [InlineData(Method.ReverseUnroll, T)]
    [InlineData(Method.ReverseRecompute, T)]
    [InlineData(Method.TruncatedUnroll, 3)]
    public void Differentiated_methods_use_the_current_value_and_differentiate_through_it(Method method, int differentiated)
    {
        var (q, logEta, problem) = Setup(logEtaIsOuter: true);
        var options = new UnrolledOptions { InnerSteps = T, TruncationSteps = method == Method.TruncatedUnroll ? differentiated : 0 };
        foreach (var eta in new[] { 0.5, 0.3 })
        {
            Set(logEta, eta);   // as an outer optimizer does, in place
            using var result = UnrolledHypergradient.Compute(problem, method, options);
            Quadratic.AssertClose(q.UnrolledGradient(eta, T, differentiated), result["lambda"], 1e-10, $"{method} at η = {eta}");
            if (method == Method.TruncatedUnroll) continue;
            // dF(w_T)/dlogEta = η·dF/dη, against a central difference of F(w_T(η)) computed without autograd.
            double F(double e) { var w = q.Iterates(e, T)[^1]; return 0.5 * (w - q.Target).pow(2).sum().item<double>(); }
            double expected = eta * (F(eta + 1e-6) - F(eta - 1e-6)) / 2e-6;
            Assert.True(Math.Abs(result["logEta"].item<double>() - expected) <= 1e-6 * Math.Abs(expected),
                $"{method} at η = {eta}: dF/dlogEta {result["logEta"].item<double>()} vs central difference {expected}");
        }
    }

    [Theory]
    [InlineData(Method.FirstOrder)]
    [InlineData(Method.GradientAlignment)]
    [InlineData(Method.PessimisticTrajectoryTruncation)]
    public void Final_iterate_methods_use_the_current_value(Method method)
    {
        var (_, logEta, problem) = Setup(logEtaIsOuter: false);
        Set(logEta, 0.3);
        using var perStep = UnrolledHypergradient.Compute(problem, method, new UnrolledOptions { InnerSteps = T });
        var reference = new Quadratic();
        using var constant = UnrolledHypergradient.Compute(reference.Problem(new DifferentiableSgd(0.3)), method, new UnrolledOptions { InnerSteps = T });
        Quadratic.AssertClose(constant["lambda"], perStep["lambda"], 1e-12, $"{method}: per-step η vs constant η");
    }

    [Fact]
    public void Implicit_at_iterate_uses_the_current_value()
    {
        var (_, logEta, problem) = Setup(logEtaIsOuter: false);
        Set(logEta, 0.3);
        using var perStep = UnrolledHypergradient.Compose(problem, [Operation.ConjugateGradient], new UnrolledOptions { InnerSteps = T });
        var reference = new Quadratic();
        using var constant = UnrolledHypergradient.Compose(reference.Problem(new DifferentiableSgd(0.3)), [Operation.ConjugateGradient], new UnrolledOptions { InnerSteps = T });
        Quadratic.AssertClose(constant["lambda"], perStep["lambda"], 1e-12, "CG at the final iterate: per-step η vs constant η");
        // And the iterate really depends on η: another value gives another answer.
        Set(logEta, 0.5);
        using var other = UnrolledHypergradient.Compose(problem, [Operation.ConjugateGradient], new UnrolledOptions { InnerSteps = T });
        Assert.True((other["lambda"] - constant["lambda"]).norm().item<double>() > 1e-6);
    }

    [Fact]
    public void An_outer_variable_passed_itself_is_read_at_every_step()
    {
        // The eager form that stays right: a leaf tensor, updated in place by the outer optimizer, is seen by the next computation.
        var q = new Quadratic();
        var eta = tensor(0.5, float64, requires_grad: true);
        var problem = new UnrolledProblem(q.Inner, new Hypergrad.Parameters.ParameterSet(("lambda", q.Lambda), ("eta", eta)), q.InnerObjective, q.OuterObjective, new DifferentiableSgd(eta));
        foreach (var value in new[] { 0.5, 0.3 })
        {
            using (no_grad()) eta.fill_(value);
            using var result = UnrolledHypergradient.Compute(problem, Method.ReverseUnroll, new UnrolledOptions { InnerSteps = T });
            Quadratic.AssertClose(q.UnrolledGradient(value, T, T), result["lambda"], 1e-10, $"leaf η = {value}");
            double F(double e) { var w = q.Iterates(e, T)[^1]; return 0.5 * (w - q.Target).pow(2).sum().item<double>(); }
            double expected = (F(value + 1e-6) - F(value - 1e-6)) / 2e-6;
            Assert.True(Math.Abs(result["eta"].item<double>() - expected) <= 1e-6 * Math.Abs(expected), $"dF/dη {result["eta"].item<double>()} vs {expected}");
        }
    }
}
