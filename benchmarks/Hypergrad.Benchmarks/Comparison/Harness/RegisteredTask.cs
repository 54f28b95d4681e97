using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Hypergrad.Optimizers;
using Hypergrad.Solving;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Hypergrad.Benchmarks.Comparison;

/// <summary>
/// A task whose methods are the entries of a registry of problem classes that differ only in their
/// <c>[Hypergradient]</c> attribute. Every method is run the same way: its generated <c>Run</c> (through
/// <see cref="IBilevelProblemClass{TInnerBatch, TOuterBatch}"/>) with inner SGD at step η and outer SGD at step β,
/// on the entry's <see cref="Batching"/>, until the recorder's budget is spent; every measurement re-solves the inner
/// problem at the current λ (<see cref="InnerSolution"/>) and reports the value function there besides the method's own w.
/// </summary>
/// <typeparam name="TProblem">The task's problem base class.</typeparam>
/// <typeparam name="TBatch">The objectives' batch (the same at both levels).</typeparam>
/// <typeparam name="TData">One seed's data.</typeparam>
public abstract class RegisteredTask<TProblem, TBatch, TData> : ComparisonTask where TProblem : class
{
    /// <summary>A run this long in steps never ends by itself: the budget cancels it.</summary>
    const int Unbounded = 1_000_000_000;

    (int Seed, TData Data)? loaded;

    /// <summary>The methods, in table order.</summary>
    protected abstract IReadOnlyList<ComparedMethod<TProblem>> Registry { get; }

    /// <summary>Loads (or draws) the data of <paramref name="seed"/>; kept until another seed is asked for.</summary>
    protected abstract TData Load(int seed);

    /// <summary>Sizes of the training and validation sets.</summary>
    protected abstract (long Training, long Validation) Sizes(TData data);

    /// <summary>Batches of one level as <paramref name="batching"/> says, drawn from <paramref name="seed"/>.</summary>
    protected abstract IEnumerable<TBatch> Batches(TData data, bool training, Batching batching, int seed);

    /// <summary>The problem's outer variables (given to the outer SGD).</summary>
    protected abstract IEnumerable<Parameter> OuterVariables(TProblem problem);

    /// <summary>The problem's inner variables (the model's parameters), re-solved for the value function.</summary>
    protected abstract IReadOnlyList<Parameter> InnerVariables(TProblem problem);

    /// <summary>
    /// The inner objective on the whole training set in float64, of <paramref name="flat"/>: the inner variables
    /// flattened in <see cref="InnerVariables"/>' order, with the outer variables detached; not counted.
    /// </summary>
    protected abstract Tensor TrainingLoss(TProblem problem, TData data, Tensor flat);

    /// <summary>Validation loss on the whole validation set and test accuracy, of the problem's current variables.</summary>
    protected abstract (double ValidationLoss, double TestAccuracy) Evaluate(TProblem problem, TData data);

    /// <inheritdoc/>
    public override IReadOnlyList<string> Methods => Registry.Select(m => m.Name).ToArray();

    /// <inheritdoc/>
    public override MethodFamily FamilyOf(string method) => Entry(method).Family;

    /// <inheritdoc/>
    public override string SettingsOf(string method)
    {
        var entry = Entry(method);
        using var scope = NewDisposeScope();
        var settings = AsClass(entry.Create(new EvaluationCounter(1, 1)), method).BilevelProblem.Settings;
        var options = settings.GetType().GetProperties()
            .Where(p => p.Name != nameof(HypergradientSettings.Method) && p.CanWrite && p.GetIndexParameters().Length == 0)
            .Select(p => (p.Name, Value: p.GetValue(settings)))
            .Where(p => p.Value is not null)
            .Select(p => $"{p.Name} = {Format(p.Value!)}");
        return $"{settings.Method}({string.Join(", ", options)}), {entry.Batching}";
    }

    /// <inheritdoc/>
    public override RunCurve Run(string method, int seed, StepSizes steps, RunRecorder recorder)
    {
        var entry = Entry(method);
        if (loaded?.Seed != seed) loaded = (seed, Load(seed));   // outside the run's scope: the data outlives it
        var data = loaded.Value.Data;
        var (training, validation) = Sizes(data);

        using var scope = NewDisposeScope();
        manual_seed(seed);
        var counter = new EvaluationCounter(training, validation);
        var problem = entry.Create(counter);
        var asClass = AsClass(problem, method);
        var options = new BilevelOptions
        {
            Steps = Unbounded,
            InnerOptimizer = new DifferentiableSgd(steps.Inner),
            OuterOptimizer = optim.SGD(OuterVariables(problem), steps.Outer),
        };
        var train = Batches(data, training: true, entry.Batching, seed);
        var valid = Batches(data, training: false, entry.Batching, seed + 1);
        using var solution = new InnerSolution(InnerVariables(problem), flat => TrainingLoss(problem, data, flat));
        var curve = recorder.Record(method, seed, counter, (progress, token) => asClass.Run(train, valid, options, progress, token), () =>
        {
            var (iterateLoss, iterateAccuracy) = Evaluate(problem, data);
            var (loss, accuracy) = solution.At(() => Evaluate(problem, data));
            return new Measurement(loss, accuracy, iterateLoss, iterateAccuracy);
        });
        return curve with { InnerGradient = solution.WorstGradient };
    }

    ComparedMethod<TProblem> Entry(string method) =>
        Registry.FirstOrDefault(m => m.Name == method)
        ?? throw new ArgumentException($"Task '{Name}' has no method '{method}'; its methods: {string.Join(", ", Methods)}.", nameof(method));

    static IBilevelProblemClass<TBatch, TBatch> AsClass(TProblem problem, string method) =>
        problem as IBilevelProblemClass<TBatch, TBatch>
        ?? throw new InvalidOperationException($"The problem class of '{method}' ({problem.GetType().Name}) has no generated Run for batches of {typeof(TBatch).Name}; annotate it with [Hypergradient].");

    static string Format(object value) => value switch
    {
        double d => d.ToString("G3", CultureInfo.InvariantCulture),
        System.Collections.IEnumerable list and not string => $"[{string.Join(", ", list.Cast<object>())}]",
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };
}
