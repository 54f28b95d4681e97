using Hypergrad.Parameters;
using Hypergrad.Solving;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Hypergrad.Misuse.Tests;

/// <summary>A small deep-equilibrium problem (a [FixedPointMap] class written by hand): z = tanh(z·A + x·B), loss at z.</summary>
public sealed class EquilibriumToy
{
    public EquilibriumToy(Method method, Fault fault = Fault.None, bool inOuter = false, int rows = 4)
    {
        Fault = fault;
        InOuter = inOuter;
        State = zeros(rows, 2, dtype: float64);
        Recurrent = new Parameter(full(2, 2, 0.1, dtype: float64));
        Injection = new Parameter(full(3, 2, 0.2, dtype: float64));
        Problem = new FixedPointProblem<(Tensor x, Tensor y)>("EquilibriumToy",
            new HypergradientSettings(method) { EquilibriumIterations = 60, EquilibriumTolerance = 1e-8 },
            new ParameterSet(ParameterSource.FromTensor("State", State)),
            new ParameterSet(ParameterSource.FromTensor("Recurrent", Recurrent), ParameterSource.FromTensor("Injection", Injection)),
            new FixedPointMapOfBatch<(Tensor x, Tensor y)>("Layer", batch => z => Layer(z, batch.x)),
            new Objective<(Tensor x, Tensor y)>("Loss", batch => Loss(batch.y)));
    }

    public Tensor State { get; set; }
    public Parameter Recurrent { get; set; }
    public Parameter Injection { get; set; }
    public Fault Fault { get; }
    public bool InOuter { get; }
    public FixedPointProblem<(Tensor x, Tensor y)> Problem { get; }
    public Action? OnEvaluate { get; set; }

    Tensor? cached;

    public Tensor Layer(Tensor z, Tensor x)
    {
        OnEvaluate?.Invoke();
        var next = (z.mm(Recurrent) + x.mm(Injection)).tanh();
        if (InOuter) return next;
        switch (Fault)
        {
            case Fault.CallsBackward: next.sum().backward(); return next;
            case Fault.DisposesVariable: Recurrent.Dispose(); return next;
            case Fault.ThrowsOwnException: throw new InvalidOperationException("the user's own bug");
            case Fault.ReturnsNull: return null!;
            case Fault.CachesLoss: return cached ??= next;
            default: return next;
        }
    }

    public Tensor Loss(Tensor y)
    {
        OnEvaluate?.Invoke();
        var loss = (State.sum(1) - y).pow(2).mean();
        if (!InOuter) return loss;
        switch (Fault)
        {
            case Fault.CallsBackward: loss.backward(); return loss;
            case Fault.DisposesVariable: Injection.Dispose(); return loss;
            case Fault.ThrowsOwnException: throw new InvalidOperationException("the user's own bug");
            case Fault.ReturnsNull: return null!;
            case Fault.CachesLoss: return cached ??= loss;
            default: return loss;
        }
    }

    public static (Tensor x, Tensor y) Batch(int rows = 4, int features = 3)
    {
        var generator = new TorchSharp.torch.Generator(7);
        return (randn(new long[] { rows, features }, dtype: float64, generator: generator), randn(new long[] { rows }, dtype: float64, generator: generator));
    }
}
