using System;
using TorchSharp;
using static TorchSharp.torch;

namespace Hypergrad.Optimizers;

/// <summary>
/// A hyperparameter of a differentiable optimizer (learning rate, momentum, weight decay): a constant, a tensor, or
/// a function evaluated at every step (<see cref="PerStep"/>). A tensor or function result that requires grad makes
/// the optimizer step differentiable with respect to it, so it can be (or be computed from) an outer variable tuned
/// by hypergradient.
/// </summary>
/// <remarks>
/// A value computed from an outer variable, such as <c>LogLr.exp()</c>, must be given as a function
/// (<c>() =&gt; LogLr.exp()</c>): a tensor computed once keeps its value after the outer optimizer changes
/// <c>LogLr</c>, so every later hypergradient would be silently wrong. Optimizers refuse such a tensor.
/// </remarks>
public readonly struct Hyperparameter
{
    readonly PerStepValue? perStep;

    /// <summary>The constant value (meaningful when <see cref="IsConstant"/>).</summary>
    public double Constant { get; }

    /// <summary>The tensor value (a scalar or a tensor broadcastable to the parameters), or null.</summary>
    public Tensor? Tensor { get; }

    /// <summary>The function evaluated at every step, or null.</summary>
    public Func<Tensor>? Function => perStep?.Function;

    Hyperparameter(double constant, Tensor? tensor, PerStepValue? perStep) { Constant = constant; Tensor = tensor; this.perStep = perStep; }

    /// <summary>A constant hyperparameter.</summary>
    public static implicit operator Hyperparameter(double constant) => new(constant, null, null);

    /// <summary>A tensor hyperparameter: an outer variable itself (a leaf, e.g. a learnable step size), whose in-place
    /// updates the optimizer sees.</summary>
    public static implicit operator Hyperparameter(Tensor tensor) => new(0, tensor ?? throw new ArgumentNullException(nameof(tensor)), null);

    /// <summary>
    /// A hyperparameter computed at every optimizer step by <paramref name="value"/>, inside the step's autograd
    /// graph, e.g. <c>Hyperparameter.PerStep(() =&gt; LogMomentum.sigmoid())</c>: it always uses the outer variables'
    /// current values, and the hypergradient flows through the expression to them.
    /// </summary>
    public static Hyperparameter PerStep(Func<Tensor> value) =>
        new(0, null, new PerStepValue(value ?? throw new ArgumentNullException(nameof(value))));

    /// <summary>True for a plain number (neither a tensor nor a per-step function).</summary>
    public bool IsConstant => Tensor is null && perStep is null;

    /// <summary>True for the constant 0 only: a tensor or function is never treated as zero, so its gradient path is kept.</summary>
    public bool IsZero => IsConstant && Constant == 0;

    /// <summary>This hyperparameter times <paramref name="x"/>, staying in the autograd graph of both.</summary>
    public Tensor Times(Tensor x) => IsConstant ? x.Scaled(Constant) : x.mul(Current());

    /// <summary>The value as a double (reads a tensor's single element; for checks and display only).</summary>
    public double Value
    {
        get
        {
            if (IsConstant) return Constant;
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            return Current().detach().cpu().to_type(ScalarType.Float64).item<double>();
        }
    }

    /// <summary>The tensor this step uses: the tensor, or the function's value of this step (evaluated now outside a step).</summary>
    Tensor Current() => Tensor ?? perStep!.Current ?? Evaluated(perStep!);

    /// <summary>Evaluates a per-step function for the step that begins (<see cref="DifferentiableOptimizer"/> calls it once per step).</summary>
    internal void BeginStep()
    {
        if (perStep is not null) perStep.Current = Evaluated(perStep);
    }

    /// <summary>Forgets the value of the step that ended (the step's graph keeps what it needs).</summary>
    internal void EndStep()
    {
        if (perStep is not null) perStep.Current = null;
    }

    static Tensor Evaluated(PerStepValue perStep) =>
        perStep.Function() ?? throw new HypergradException("A per-step hyperparameter's function returned null; return a tensor (e.g. () => LogLr.exp()).");

    /// <inheritdoc/>
    public override string ToString() =>
        IsConstant ? Constant.ToString(System.Globalization.CultureInfo.InvariantCulture) : Tensor is not null ? "tensor" : "per-step function";

    /// <summary>The function and the value of the step in progress (shared by copies of the struct).</summary>
    sealed class PerStepValue(Func<Tensor> function)
    {
        public Func<Tensor> Function { get; } = function;
        public Tensor? Current { get; set; }
    }
}
