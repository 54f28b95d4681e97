using Xunit;
using System.Reflection;
using Hypergrad.Implicit;
using Hypergrad.Solving;
using Hypergrad.Tests.Implicit;
using Hypergrad.Unrolled;

namespace Hypergrad.Tests.Settings;

/// <summary>
/// The option table (OptionRules) is complete and agrees with the attribute, the runtime settings and the solvers' own
/// defaults; method families and operation stages are pinned value by value; the runtime API refuses what the attribute
/// refuses.
/// </summary>
public class OptionRulesTests
{
    private static readonly HashSet<string> NotOptions = ["Method", "TypeId", "IsUnrolled", "IsJoint", "EqualityContract"];

    private static string[] OptionProperties(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Select(p => p.Name).Where(n => !NotOptions.Contains(n)).Order().ToArray();

    [Fact]
    public void Every_attribute_property_is_in_the_table_and_every_rule_is_an_attribute_property()
    {
        var table = OptionRules.All.Select(r => r.Name).Order().ToArray();
        Assert.Equal(table, OptionProperties(typeof(HypergradientAttribute)));
        Assert.Equal(table.Length, table.Distinct().Count());
    }

    [Fact]
    public void The_runtime_settings_have_the_same_options_under_the_same_names_and_types()
    {
        Assert.Equal(OptionRules.All.Select(r => r.Name).Order().ToArray(), OptionProperties(typeof(HypergradientSettings)));
        foreach (var rule in OptionRules.All)
        {
            var attribute = typeof(HypergradientAttribute).GetProperty(rule.Name)!.PropertyType;
            var settings = typeof(HypergradientSettings).GetProperty(rule.Name)!.PropertyType;
            var (expectedAttribute, expectedSettings) = rule.Type switch
            {
                OptionType.Integer => (typeof(int), typeof(int?)),
                OptionType.Real => (typeof(double), typeof(double?)),
                OptionType.Flag => (typeof(bool), typeof(bool?)),
                OptionType.Choice => (rule.EnumType!, typeof(Nullable<>).MakeGenericType(rule.EnumType!)),
                _ => (typeof(Operation[]), typeof(IReadOnlyList<Operation>)),
            };
            Assert.True(attribute == expectedAttribute, $"{rule.Name}: attribute type {attribute}");
            Assert.True(settings == expectedSettings, $"{rule.Name}: settings type {settings}");
        }
    }

    [Fact]
    public void Every_method_has_its_family()
    {
        var expected = new Dictionary<Method, MethodFamily>
        {
            [Method.ConjugateGradient] = MethodFamily.Implicit,
            [Method.ConjugateGradientNormal] = MethodFamily.Implicit,
            [Method.Neumann] = MethodFamily.Implicit,
            [Method.FixedPoint] = MethodFamily.Implicit,
            [Method.Nystrom] = MethodFamily.Implicit,
            [Method.OptimizerSolve] = MethodFamily.Implicit,
            [Method.Exact] = MethodFamily.Implicit,
            [Method.NystromConjugateGradient] = MethodFamily.Implicit,
            [Method.ReverseUnroll] = MethodFamily.Unrolled,
            [Method.ReverseRecompute] = MethodFamily.Unrolled,
            [Method.TruncatedUnroll] = MethodFamily.Unrolled,
            [Method.PessimisticTrajectoryTruncation] = MethodFamily.Unrolled,
            [Method.FirstOrder] = MethodFamily.Unrolled,
            [Method.FiniteDifference] = MethodFamily.Unrolled,
            [Method.GradientAlignment] = MethodFamily.Unrolled,
            [Method.Soba] = MethodFamily.SingleLoop,
            [Method.Saba] = MethodFamily.SingleLoop,
            [Method.MaSoba] = MethodFamily.SingleLoop,
            [Method.Amigo] = MethodFamily.SingleLoop,
            [Method.StocBio] = MethodFamily.SingleLoop,
            [Method.F2sa] = MethodFamily.HessianFree,
            [Method.Bome] = MethodFamily.HessianFree,
            [Method.Pgdm] = MethodFamily.HessianFree,
        };
        Assert.Equal(Enum.GetValues<Method>().Order(), expected.Keys.Order());
        foreach (var (method, family) in expected) Assert.Equal(family, MethodFamilies.Of(method));
        Assert.Throws<ArgumentOutOfRangeException>(() => MethodFamilies.Of((Method)99));
        // The families agree with what the engines do: implicit methods have a solver, unrolled ones a composition.
        foreach (var method in Enum.GetValues<Method>())
            Assert.Equal(MethodFamilies.Of(method) == MethodFamily.Unrolled, CompositionRules.OperationsFor(method) is not null);
    }

    [Fact]
    public void Every_operation_has_its_stage()
    {
        var expected = new Dictionary<Operation, OperationStage>
        {
            [Operation.GradientDescentAggregation] = OperationStage.InnerDynamics,
            [Operation.DynamicInitialization] = OperationStage.InnerDynamics,
            [Operation.DualMultiplier] = OperationStage.InnerDynamics,
            [Operation.PessimisticTrajectoryTruncation] = OperationStage.Trajectory,
            [Operation.FirstOrder] = OperationStage.Trajectory,
            [Operation.TruncatedUnroll] = OperationStage.Trajectory,
            [Operation.InitializationUnroll] = OperationStage.Hypergradient,
            [Operation.ReverseUnroll] = OperationStage.Hypergradient,
            [Operation.FiniteDifference] = OperationStage.Hypergradient,
            [Operation.GradientAlignment] = OperationStage.Hypergradient,
            [Operation.ConjugateGradient] = OperationStage.Implicit,
            [Operation.Neumann] = OperationStage.Implicit,
        };
        Assert.Equal(Enum.GetValues<Operation>().Order(), expected.Keys.Order());
        foreach (var (operation, stage) in expected) Assert.Equal(stage, CompositionRules.StageOf(operation));
    }

    [Fact]
    public void The_tables_defaults_are_the_solvers_defaults()
    {
        var properties = new Dictionary<string, string> { ["Rank"] = "Rank", ["Rho"] = "Rho", ["Iterations"] = "Iterations", ["Tolerance"] = "Tolerance", ["Alpha"] = "Alpha", ["WarmStart"] = "WarmStart", ["Seed"] = "Seed" };
        int compared = 0;
        foreach (var method in Enum.GetValues<Method>().Where(m => MethodFamilies.Of(m) == MethodFamily.Implicit))
        {
            var solver = ImplicitSolver.Create(method);
            var context = new OptionContext(method, null, fixedPointMap: false);
            foreach (var rule in OptionRules.All.Where(r => r.AppliesTo(context) && properties.ContainsKey(r.Name)))
            {
                if (rule.Default(context) is not double expected) continue;   // decided at run time
                object value = solver.GetType().GetProperty(properties[rule.Name])!.GetValue(solver)!;
                double actual = value is bool b ? (b ? 1 : 0) : Convert.ToDouble(value);
                Assert.True(expected == actual, $"{method}.{rule.Name}: table {expected}, solver {actual}");
                compared++;
            }
        }
        Assert.True(compared >= 20, $"{compared} defaults compared");
        Assert.Equal(BilevelOptions.DefaultUnrollSteps, OptionRules.UnrollSteps.Default(new OptionContext(Method.ReverseUnroll, null, false)));
        Assert.Equal(HypergradientSettings.DefaultEquilibriumIterations, OptionRules.EquilibriumIterations.Default(new OptionContext(Method.FixedPoint, null, true)));
        Assert.Equal(HypergradientSettings.DefaultEquilibriumTolerance, OptionRules.EquilibriumTolerance.Default(new OptionContext(Method.FixedPoint, null, true)));
    }

    public static TheoryData<ImplicitSolver, string> InvalidSolvers => new()
    {
        { new ConjugateGradient { Tolerance = double.PositiveInfinity }, "Tolerance = Infinity is invalid" },
        { new ConjugateGradient { Tolerance = double.NaN }, "Tolerance = NaN is invalid" },
        { new ConjugateGradient { Iterations = 0 }, "Iterations = 0 is invalid" },
        { new ConjugateGradient { Iterations = -1 }, "Iterations = -1 is invalid" },
        { new Neumann { Alpha = 0 }, "Alpha = 0 is invalid" },
        { new OptimizerSolve { Iterations = -1 }, "Iterations = -1 is invalid" },
        { new Nystrom { Rho = 0 }, "Rho = 0 is invalid" },
        { new FixedPoint { Alpha = -1 }, "Alpha = -1 is invalid" },
        { new Exact { Rho = -0.5 }, "Rho = -0.5 is invalid" },
    };

    [Theory]
    [MemberData(nameof(InvalidSolvers))]
    public void A_solver_built_by_hand_is_held_to_the_same_rules(ImplicitSolver solver, string message)
    {
        var q = new Quadratic();
        var error = Assert.Throws<HypergradException>(() => new ImplicitHypergradient(q.Inner, q.Outer, solver));
        Assert.Contains(message, error.Message);
        Assert.StartsWith(solver.GetType().Name + ": ", error.Message);
    }

    [Fact]
    public void Neumann_with_int_MaxValue_iterations_does_not_overflow()
    {
        var q = new Quadratic();
        using var engine = new ImplicitHypergradient(q.Inner, q.Outer, new Neumann { Iterations = int.MaxValue, Alpha = 1 / q.LargestEigenvalue, Tolerance = 1e-12 });
        using var result = engine.Compute(q.InnerObjective, q.OuterObjective);
        Assert.True(result.Converged);
        Assert.True(Quadratic.RelativeError(result["Lambda"], q.Expected()) < 1e-10);
    }

    [Fact]
    public void Settings_refuse_an_implicit_method_with_operations_in_HG0013s_words()
    {
        var settings = new HypergradientSettings(Method.ConjugateGradient) { Operations = [Operation.ReverseUnroll] };
        var error = Assert.Throws<HypergradException>(() => settings.Validate("Problem", fixedPointMap: false));
        Assert.Equal("Problem: Invalid combination of operations: " + OptionRules.WhyOperationsInvalid(Method.ConjugateGradient), error.Message);
    }

    [Theory]
    [InlineData(null, 5, "Truncation = (unset) is invalid")]
    [InlineData(5, 5, "Truncation = 5 is invalid: truncation must be smaller than UnrollSteps (5)")]
    public void Truncation_is_checked_once_for_the_attribute_and_the_runtime(int? truncation, int unrollSteps, string message)
    {
        var settings = new HypergradientSettings(Method.TruncatedUnroll) { Truncation = truncation, UnrollSteps = unrollSteps };
        Assert.Contains(message, Assert.Throws<HypergradException>(() => settings.Validate("Problem", fixedPointMap: false)).Message);
        new HypergradientSettings(Method.TruncatedUnroll) { Truncation = 2, UnrollSteps = unrollSteps }.Validate("Problem", fixedPointMap: false);
    }

    [Fact]
    public void Equilibrium_options_and_unknown_methods_are_refused_at_run_time()
    {
        var equilibrium = new HypergradientSettings(Method.FixedPoint) { EquilibriumIterations = 0 };
        Assert.Contains("EquilibriumIterations = 0 is invalid", Assert.Throws<HypergradException>(() => equilibrium.Validate("Deq", fixedPointMap: true)).Message);
        var unknown = new HypergradientSettings((Method)99);
        Assert.Contains("99 is not a Hypergrad.Method", Assert.Throws<HypergradException>(() => unknown.Validate("P", fixedPointMap: false)).Message);
        var operation = new HypergradientSettings(Method.ReverseUnroll) { Operations = [(Operation)42] };
        Assert.Contains("42 is not a Hypergrad.Operation", Assert.Throws<HypergradException>(() => operation.Validate("P", fixedPointMap: false)).Message);
    }
}
