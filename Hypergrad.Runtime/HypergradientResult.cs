using System;
using System.Collections.Generic;
using System.Linq;
using Hypergrad.Parameters;
using static TorchSharp.torch;

namespace Hypergrad;

/// <summary>
/// A hypergradient and its certificate: what the computation did, so that an approximate result is
/// never silent. Returned by implicit and unrolled methods alike. Disposing it frees the gradient tensors.
/// </summary>
public sealed class HypergradientResult : IDisposable
{
    /// <summary>Creates a result; the result owns <paramref name="gradients"/> (they are disposed with it).</summary>
    /// <param name="method">How the hypergradient was computed.</param>
    /// <param name="gradients">dF/dλ per outer variable, in the order of the outer parameter set.</param>
    /// <param name="iterations">Iterations of the linear solve (implicit) or differentiated inner steps (unrolled).</param>
    /// <param name="relativeResidual">Final ‖Ax − v‖/‖v‖ of the linear system, or NaN where there is none.</param>
    /// <param name="hessianVectorProducts">Hessian-vector (or Jacobian-vector) products used.</param>
    /// <param name="converged">Whether the method's tolerance was met (docs/methods.md says what that means per method).</param>
    /// <param name="warnings">Conditions the caller should know about (e.g. an outer variable no objective touches).</param>
    /// <param name="kind">What the number is a derivative of.</param>
    /// <param name="innerStationarity">‖∇_w g(w_T)‖ / ‖∇_w g(w_0)‖ at the final inner iterate, or NaN where not measured.</param>
    /// <param name="approximation">For <see cref="HypergradientKind.Approximation"/>: what the method leaves out.</param>
    public HypergradientResult(Method method, IReadOnlyList<NamedTensor> gradients, int iterations, double relativeResidual,
        int hessianVectorProducts, bool converged, IReadOnlyList<string>? warnings = null,
        HypergradientKind kind = HypergradientKind.Implicit, double innerStationarity = double.NaN, string? approximation = null)
    {
        Kind = kind;
        InnerStationarity = innerStationarity;
        Approximation = approximation;
        Method = method;
        Gradients = gradients ?? throw new ArgumentNullException(nameof(gradients));
        Iterations = iterations;
        RelativeResidual = relativeResidual;
        HessianVectorProducts = hessianVectorProducts;
        Converged = converged;
        Warnings = warnings ?? Array.Empty<string>();
    }

    /// <summary>How the hypergradient was computed.</summary>
    public Method Method { get; }

    /// <summary>dF/dλ per outer variable (name and tensor shaped like the variable), in outer-set order.</summary>
    public IReadOnlyList<NamedTensor> Gradients { get; }

    /// <summary>Iterations of the linear solve (implicit methods) or differentiated inner steps (unrolled methods).</summary>
    public int Iterations { get; }

    /// <summary>Final relative residual ‖Ax − v‖/‖v‖ of the solved system; NaN where not applicable.</summary>
    public double RelativeResidual { get; }

    /// <summary>Hessian-vector (or Jacobian-vector) products used.</summary>
    public int HessianVectorProducts { get; }

    /// <summary>
    /// Whether the method's tolerance was met. Implicit methods: the linear solve's relative residual is at most the
    /// tolerance. Unrolled methods: the final inner iterate is stationary, <see cref="InnerStationarity"/> at most the
    /// tolerance (with CG/NS in a composition, and the solve converged too). DualMultiplier: the multiplier's residual and
    /// the inner stationarity are both within the tolerance. False means the number is not the implicit hypergradient
    /// at an inner solution (it may still be exactly what <see cref="Kind"/> says).
    /// </summary>
    public bool Converged { get; }

    /// <summary>
    /// The step α (Neumann, FixedPoint) or learning rate (OptimizerSolve) the linear solve used — the given one, or the
    /// automatic 1/λ̂_max from power iteration when none was given — or null for methods without a step.
    /// </summary>
    public double? StepSize { get; init; }

    /// <summary>What the number is a derivative of: the implicit hypergradient, the exact derivative of the unrolled steps, or an approximation.</summary>
    public HypergradientKind Kind { get; }

    /// <summary>‖∇_w g(w_T)‖ / ‖∇_w g(w_0)‖: how far the final inner iterate is from stationarity, relative to the start; NaN where not measured (implicit methods).</summary>
    public double InnerStationarity { get; }

    /// <summary>For <see cref="HypergradientKind.Approximation"/>: what the method leaves out, and why; otherwise null.</summary>
    public string? Approximation { get; }

    /// <summary>Conditions worth knowing that did not stop the computation, e.g. an outer variable that neither objective touches (its hypergradient is zero).</summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>The hypergradient of the outer variable called <paramref name="name"/>.</summary>
    public Tensor this[string name] =>
        Gradients.FirstOrDefault(g => g.Name == name).Tensor
        ?? throw new KeyNotFoundException($"No outer variable is called '{name}'; the outer variables are {string.Join(", ", Gradients.Select(g => g.Name))}.");

    /// <summary>
    /// Adds each hypergradient to its outer variable's <c>.grad</c> (creating it if absent), so any
    /// optimizer over the outer variables, <c>torch.optim</c> included, can step.
    /// </summary>
    /// <param name="outer">The outer parameter set the result was computed for.</param>
    public void AccumulateInto(ParameterSet outer) => AccumulateInto(outer, 1.0);

    /// <summary>Adds <paramref name="scale"/> times each hypergradient to its outer variable's <c>.grad</c> (joint methods: the step schedule's factor).</summary>
    internal void AccumulateInto(ParameterSet outer, double scale)
    {
        ArgumentNullException.ThrowIfNull(outer);
        if (outer.Count != Gradients.Count)
            throw new HypergradException($"The result has {Gradients.Count} gradients but the outer set has {outer.Count} variables; accumulate into the set it was computed for.");
        using var noGrad = no_grad();
        for (int i = 0; i < outer.Count; i++)
        {
            var (name, variable) = outer[i];
            if (name != Gradients[i].Name)
                throw new HypergradException($"Outer variable {i} is '{name}' but the result's gradient {i} is for '{Gradients[i].Name}'; accumulate into the set it was computed for.");
            // .grad returns a new wrapper on each read and the setter shares the native tensor: dispose the wrappers.
            using var grad = variable.grad;
            if (grad is null || grad.IsInvalid)
            {
                using var copy = Gradients[i].Tensor.detach().clone();
                if (scale != 1.0) copy.Scale_(scale);
                variable.grad = copy;
            }
            else
                grad.PlusScaled_(Gradients[i].Tensor, scale);
        }
    }

    /// <summary>
    /// The same result with other warnings (and, when <paramref name="converged"/> is given, that flag). The new result
    /// takes over the gradient tensors: dispose it, not this one.
    /// </summary>
    internal HypergradientResult WithWarnings(IReadOnlyList<string> warnings, bool? converged = null) =>
        new(Method, Gradients, Iterations, RelativeResidual, HessianVectorProducts, converged ?? Converged, warnings, Kind, InnerStationarity, Approximation)
        { StepSize = StepSize };

    /// <summary>One line: method, kind, iterations, residual, stationarity, HVPs, convergence and warnings.</summary>
    public override string ToString() =>
        $"{Method}: {Iterations} iterations, relative residual {RelativeResidual:G3}, " +
        (double.IsNaN(InnerStationarity) ? "" : $"inner stationarity {InnerStationarity:G3}, ") + $"{HessianVectorProducts} HVPs, {Kind}, " +
        (Converged ? "converged" : "NOT converged") + (StepSize is double step ? $", step α = {step:G3}" : "") + (Warnings.Count > 0 ? "; " + string.Join("; ", Warnings) : "");

    /// <summary>Frees the gradient tensors.</summary>
    public void Dispose()
    {
        foreach (var g in Gradients) g.Tensor.Dispose();
    }
}
