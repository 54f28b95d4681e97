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
    /// <param name="converged">Whether the requested tolerance was met (true for methods without one).</param>
    /// <param name="warnings">Conditions the caller should know about (e.g. an outer variable no objective touches).</param>
    public HypergradientResult(Method method, IReadOnlyList<NamedTensor> gradients, int iterations, double relativeResidual,
        int hessianVectorProducts, bool converged, IReadOnlyList<string>? warnings = null)
    {
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

    /// <summary>Whether the requested tolerance was met. False means the hypergradient is a truncated approximation.</summary>
    public bool Converged { get; }

    /// <summary>
    /// The step α (Neumann, FixedPoint) or learning rate (OptimizerSolve) the linear solve used — the given one, or the
    /// automatic 1/λ̂_max from power iteration when none was given — or null for methods without a step.
    /// </summary>
    public double? StepSize { get; init; }

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
    public void AccumulateInto(ParameterSet outer)
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
                variable.grad = copy;
            }
            else
                grad.add_(Gradients[i].Tensor);
        }
    }

    /// <summary>One line: method, iterations, residual, HVPs, convergence and warnings.</summary>
    public override string ToString() =>
        $"{Method}: {Iterations} iterations, relative residual {RelativeResidual:G3}, {HessianVectorProducts} HVPs, " +
        (Converged ? "converged" : "NOT converged") + (StepSize is double step ? $", step α = {step:G3}" : "") + (Warnings.Count > 0 ? "; " + string.Join("; ", Warnings) : "");

    /// <summary>Frees the gradient tensors.</summary>
    public void Dispose()
    {
        foreach (var g in Gradients) g.Tensor.Dispose();
    }
}
