using System;
using System.Collections.Generic;
using System.IO;
using Hypergrad.Parameters;
using Hypergrad.Solving;
using TorchSharp;
using static TorchSharp.torch;

namespace Hypergrad.SingleLoop;

/// <summary>One batch a joint iteration draws: its objective, and its position in a finite dataset (-1 when none was declared).</summary>
internal readonly record struct JointBatch(Func<Tensor> Objective, int Index);

/// <summary>What a joint iteration needs from its caller: <c>Run</c>'s loop, or <c>ComputeHypergradient</c> on one pair of batches.</summary>
internal interface IJointRun
{
    /// <summary>The next inner-objective batch.</summary>
    JointBatch NextInner();

    /// <summary>The next outer-objective batch.</summary>
    JointBatch NextOuter();

    /// <summary>
    /// Steps the inner variables along <paramref name="direction"/> (flat) times <paramref name="scale"/> (the schedule's
    /// factor) with the inner optimizer; undone and reported if it makes them NaN or ±Inf.
    /// </summary>
    void StepInner(Tensor direction, double scale);

    /// <summary>A value of g at the current inner variables, taken before the inner step that follows (divergence check).</summary>
    void InnerLoss(double value);

    /// <summary>F's value at the current variables, before this iteration's outer step (divergence check).</summary>
    void OuterLoss(double value);
}

/// <summary>
/// A joint method: its own state (z, memory, a lower-level copy, a penalty) and its rule for one iteration, which steps the
/// inner variables (through <see cref="IJointRun.StepInner"/>), its state, and returns the direction for λ with its
/// certificate. The caller adds the direction, times <see cref="JointStep.Scale"/>, to the outer variables' <c>.grad</c> and
/// steps the outer optimizer.
/// </summary>
internal abstract class JointMethod : IDisposable
{
    private readonly double exponent;
    private double firstInnerGradientNorm = double.NaN;

    protected JointMethod(ParameterSet inner, ParameterSet outer, HypergradientSettings settings, double auxiliaryStep)
    {
        Inner = inner;
        Outer = outer;
        Settings = settings;
        Oracles = new JointOracles(inner, outer);
        var context = new OptionContext(settings.Method, null, fixedPointMap: false);
        exponent = settings.StepExponent ?? OptionRules.StepExponent.Default(context) ?? 0;
        Tolerance = settings.Tolerance ?? OptionRules.Tolerance.Default(context) ?? 1e-6;
        AuxiliaryStep = auxiliaryStep;
    }

    protected ParameterSet Inner { get; }

    protected ParameterSet Outer { get; }

    protected HypergradientSettings Settings { get; }

    protected JointOracles Oracles { get; }

    /// <summary>The step of the method's own state (z, the Neumann series, the lower-level copy), before the schedule.</summary>
    protected double AuxiliaryStep { get; }

    /// <summary>The certificate's bound (the attribute's Tolerance).</summary>
    protected double Tolerance { get; }

    /// <summary>Iterations taken so far (t of the schedule).</summary>
    public int Iteration { get; private set; }

    /// <summary>The method.</summary>
    public Method Method => Settings.Method;

    /// <summary>One iteration at schedule factor 1/(t + 1)^a; its tensors belong to the caller's dispose scope.</summary>
    public JointStep Iterate(IJointRun run)
    {
        double scale = Math.Pow(Iteration + 1, -exponent);
        int products = Oracles.HessianVectorProducts;
        JointStep step;
        using (var scope = NewDisposeScope())
        {
            step = Take(run, scale);
            foreach (var gradient in step.Result.Gradients) gradient.Tensor.MoveToOuterDisposeScope();
        }
        if (Oracles.HessianVectorProducts - products != step.Result.HessianVectorProducts)
            throw new InvalidOperationException($"{Method} reported {step.Result.HessianVectorProducts} HVPs but computed {Oracles.HessianVectorProducts - products}.");
        Iteration++;
        return step;
    }

    /// <summary>The iteration's rule: steps w and the method's state, returns the λ direction (unscaled) and its certificate.</summary>
    protected abstract JointStep Take(IJointRun run, double scale);

    /// <summary>‖∇_w g‖ relative to its value at the run's first iteration (the certificate's inner stationarity).</summary>
    protected double Stationarity(Tensor innerGradient)
    {
        double norm = innerGradient.norm().ToDouble();
        if (double.IsNaN(firstInnerGradientNorm)) firstInnerGradientNorm = norm;
        return firstInnerGradientNorm > 0 ? norm / firstInnerGradientNorm : norm == 0 ? 0 : double.PositiveInfinity;
    }

    /// <summary>‖Hz − v‖ / ‖v‖ (0 when both vanish).</summary>
    protected static double RelativeResidual(Tensor hz, Tensor v)
    {
        double vNorm = v.norm().ToDouble();
        double residual = (hz - v).norm().ToDouble();
        return vNorm > 0 ? residual / vNorm : residual == 0 ? 0 : double.PositiveInfinity;
    }

    /// <summary>The result of a single-loop method: the estimate ∇_λF − ∂²_{λw}g·z, its z residual and the inner stationarity.</summary>
    protected HypergradientResult Estimate(Tensor direction, int iterations, double residual, int products, double stationarity) =>
        new(Method, Named(direction), iterations, residual, products, residual <= Tolerance && stationarity <= Tolerance,
            kind: HypergradientKind.Estimate, innerStationarity: stationarity);

    /// <summary>The result of a Hessian-free method: an approximation by design (what it leaves out is said, and repeated as a warning).</summary>
    protected HypergradientResult FirstOrder(Tensor direction, int iterations, double stationarity, string approximation) =>
        new(Method, Named(direction), iterations, double.NaN, 0, stationarity <= Tolerance, new[] { approximation },
            HypergradientKind.Approximation, stationarity, approximation);

    private IReadOnlyList<NamedTensor> Named(Tensor flatDirection)
    {
        var names = new List<string>(Outer.Names);
        var views = Outer.Split(flatDirection);
        var named = new NamedTensor[views.Length];
        for (int i = 0; i < views.Length; i++) named[i] = new NamedTensor(names[i], views[i].clone());
        return named;
    }

    /// <summary>
    /// Replaces a piece of state by <paramref name="next"/>, refusing a non-finite one (the old value stays) with a message
    /// naming the state and the step to lower.
    /// </summary>
    protected Tensor Replace(Tensor? current, Tensor next, string what)
    {
        RequireFinite(next, what + " (it is left at its previous value)");
        current?.Dispose();
        return next.detach().clone().DetachFromDisposeScope();
    }

    /// <summary>Refuses a non-finite intermediate (a diverging series or inner copy) with the same message as <see cref="Replace"/>.</summary>
    protected void RequireFinite(Tensor value, string what)
    {
        using var sum = value.sum();
        if (!double.IsFinite(sum.ToDouble()))
            throw new HypergradException(
                $"Method.{Method}: {what} became NaN or infinite at iteration {Iteration}. " +
                $"Lower AuxiliaryStepSize (now {AuxiliaryStep:G3}) or the inner optimizer's learning rate.");
    }

    /// <summary>Checkpoints: the iteration count, the stationarity reference and the method's state.</summary>
    public void Save(BinaryWriter writer)
    {
        writer.Write(Iteration);
        writer.Write(firstInnerGradientNorm);
        SaveState(writer);
    }

    /// <summary>Restores what <see cref="Save"/> wrote.</summary>
    public void Load(BinaryReader reader)
    {
        Iteration = reader.ReadInt32();
        firstInnerGradientNorm = reader.ReadDouble();
        LoadState(reader);
    }

    protected abstract void SaveState(BinaryWriter writer);

    protected abstract void LoadState(BinaryReader reader);

    /// <summary>Writes a piece of state (or its absence).</summary>
    protected static void Write(BinaryWriter writer, Tensor? tensor)
    {
        writer.Write(tensor is not null);
        tensor?.Save(writer);
    }

    /// <summary>Reads what <see cref="Write"/> wrote, replacing <paramref name="current"/>.</summary>
    protected static Tensor? Read(BinaryReader reader, Tensor? current)
    {
        current?.Dispose();
        return reader.ReadBoolean() ? Tensor.Load(reader).DetachFromDisposeScope() : null;
    }

    /// <summary>Frees the method's state.</summary>
    public abstract void Dispose();
}

/// <summary>One joint iteration's outcome: the λ direction with its certificate, and the schedule factor to scale it by.</summary>
internal sealed record JointStep(HypergradientResult Result, double Scale);
