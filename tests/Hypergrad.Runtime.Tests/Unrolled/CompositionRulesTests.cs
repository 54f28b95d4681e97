using Hypergrad.Optimizers;
using Hypergrad.Unrolled;
using Xunit;
using static Hypergrad.Operation;

namespace Hypergrad.Tests.Unrolled;

/// <summary>BOAT's composition rules: valid lists pass, invalid ones are refused before anything runs, naming the rule and a valid alternative.</summary>
public class CompositionRulesTests
{
    public static TheoryData<Operation[]> Valid => new()
    {
        { [ReverseUnroll] },
        { [GradientDescentAggregation, ReverseUnroll] },
        { [InitializationUnroll, ConjugateGradient] },
        { [InitializationUnroll, Neumann] },
        { [PessimisticTrajectoryTruncation, InitializationUnroll, Neumann] },
        { [TruncatedUnroll, ReverseUnroll] },
        { [FirstOrder, InitializationUnroll] },
        { [DynamicInitialization, GradientDescentAggregation, FiniteDifference] },
        { [DualMultiplier, ConjugateGradient] },
        { [GradientAlignment] },
    };

    [Theory]
    [MemberData(nameof(Valid))]
    public void Valid_compositions_pass(Operation[] operations) =>
        Assert.Null(CompositionRules.Validate(operations, unrollSteps: operations.Contains(DualMultiplier) ? 1 : 10, truncation: 3));

    public static TheoryData<Operation[], string, string> Invalid => new()
    {
        { [GradientDescentAggregation], "a composition computes a hypergradient", "ReverseUnroll (RAD)" },
        { [ReverseUnroll, ReverseUnroll], "each operation at most once", "appears 2 times" },
        { [ReverseUnroll, TruncatedUnroll], "stage order", "[TruncatedUnroll (RGT), ReverseUnroll (RAD)]" },
        { [ReverseUnroll, ConjugateGradient], "RAD, FD and IGA come last, alone", "[ReverseUnroll (RAD)]" },
        { [InitializationUnroll, ReverseUnroll], "RAD, FD and IGA come last, alone", "InitializationUnroll (IAD)" },
        { [ConjugateGradient, Neumann], "one implicit solve", "keep one" },
        { [PessimisticTrajectoryTruncation, TruncatedUnroll, ReverseUnroll], "PTT, FOA and RGT exclude each other", "keep one" },
        { [TruncatedUnroll, FiniteDifference], "truncation needs a differentiated trajectory", "only the final iterate" },
        { [FirstOrder, GradientAlignment], "FOA approximates an unroll", "first-order MAML" },
        { [DynamicInitialization, InitializationUnroll], "DI and IAD exclude each other", "MAML" },
        { [DualMultiplier, Neumann], "DM works with RAD or CG alone", "[DualMultiplier (DM), ConjugateGradient (CG)]" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Invalid_compositions_name_the_rule_and_a_valid_alternative(Operation[] operations, string rule, string suggestion)
    {
        var violation = CompositionRules.Validate(operations, unrollSteps: 10, truncation: 3);
        Assert.NotNull(violation);
        Assert.Equal(rule, violation!.Rule);
        Assert.Contains(suggestion, violation.Message);
        Assert.Contains(CompositionRules.Describe(operations), violation.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(10)]
    public void Truncation_must_be_strictly_between_zero_and_the_inner_steps(int k)
    {
        var violation = CompositionRules.Validate([TruncatedUnroll, ReverseUnroll], unrollSteps: 10, truncation: k);
        Assert.Equal("0 < Truncation < UnrollSteps", violation?.Rule);
        Assert.Contains("UnrollSteps (10)", violation!.Message);
    }

    [Fact]
    public void Numeric_rules_for_GDA_and_DM()
    {
        Assert.Equal("GDA weights in range", CompositionRules.Validate([GradientDescentAggregation, ReverseUnroll], 5, aggregationAlpha: 1.5)?.Rule);
        Assert.Equal("GDA weights in range", CompositionRules.Validate([GradientDescentAggregation, ReverseUnroll], 5, aggregationDecay: 0)?.Rule);
        Assert.Equal("DM takes one inner step", CompositionRules.Validate([DualMultiplier, ReverseUnroll], 5)?.Rule);
    }

    [Fact]
    public void Every_unrolled_method_is_a_valid_composition()
    {
        foreach (var method in Enum.GetValues<Method>())
            if (CompositionRules.OperationsFor(method) is { } operations)
                Assert.Null(CompositionRules.Validate(operations, unrollSteps: 10, truncation: 3));
        Assert.Null(CompositionRules.OperationsFor(Method.ConjugateGradient));
    }

    [Fact]
    public void An_invalid_composition_is_refused_before_any_inner_step()
    {
        var q = new Quadratic();
        var ex = Assert.Throws<HypergradException>(() =>
            UnrolledHypergradient.Compose(q.Problem(new DifferentiableSgd(0.1)), [ReverseUnroll, TruncatedUnroll], new UnrolledOptions { UnrollSteps = 5, Truncation = 2 }));
        Assert.Contains("stage order", ex.Message);
        Assert.Equal(0, q.InnerEvaluations);

        var truncation = Assert.Throws<HypergradException>(() =>
            UnrolledHypergradient.Compute(q.Problem(new DifferentiableSgd(0.1)), Method.TruncatedUnroll, new UnrolledOptions { UnrollSteps = 5 }));
        Assert.Contains("Truncation = 0", truncation.Message);
        Assert.Equal(0, q.InnerEvaluations);
    }
}
