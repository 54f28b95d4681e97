using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace Hypergrad.Autograd;

/// <summary>What to do with an input that the differentiated output does not depend on.</summary>
public enum UnusedInput
{
    /// <summary>Throw a <see cref="HypergradException"/> naming the input (the default: it is usually a bug).</summary>
    Throw,
    /// <summary>Return zeros shaped like the input (its derivative is zero).</summary>
    Zero,
}

/// <summary>
/// The one place in Hypergrad that calls <c>torch.autograd.grad</c>.
/// </summary>
/// <remarks>
/// libtorch aborts the whole process (SIGABRT) on some misuse of <c>autograd.grad</c> instead of
/// throwing: an output that does not require grad, an input the output does not use, backward through
/// a freed graph. Every call here therefore
/// <list type="bullet">
/// <item>checks the output and inputs first and throws a <see cref="HypergradException"/> naming them;</item>
/// <item>always passes <c>allow_unused: true</c> and maps unused inputs per <see cref="UnusedInput"/>;</item>
/// <item>always passes <c>retain_graph: true</c>, so no graph is ever freed under a later call (the graph is
/// released when its tensors are disposed, which dispose scopes do deterministically);</item>
/// <item>passes <c>create_graph</c> only when the caller differentiates the result again;</item>
/// <item>when an input is a leaf whose <c>.grad</c> holds a non-zero value (someone ran <c>backward()</c> through it),
/// first replays the backward pass with <c>Tensor.backward</c>, which throws an ordinary exception where
/// <c>autograd.grad</c> would abort: a graph already freed by that <c>backward()</c>, or a saved tensor modified in
/// place since the forward pass. The leaves' <c>.grad</c> is restored afterwards.</item>
/// </list>
/// </remarks>
public static class Gradients
{
    /// <summary>
    /// ∂output/∂inputs for a scalar <paramref name="output"/>.
    /// </summary>
    /// <param name="output">A scalar tensor (one element) that requires grad.</param>
    /// <param name="outputName">How errors name the output, e.g. "inner objective TrainLoss".</param>
    /// <param name="inputs">Tensors to differentiate with respect to (leaves or not); each must require grad.</param>
    /// <param name="inputNames">Stable names of the inputs, e.g. "Model.weight", used in errors.</param>
    /// <param name="createGraph">Keep the result differentiable (needed for Hessian-vector products and unrolling).</param>
    /// <param name="unused">What to do with inputs the output does not depend on.</param>
    /// <param name="dependsOn">If given (one slot per input), receives whether the output depends on each input.</param>
    public static Tensor[] Of(Tensor output, string outputName, IReadOnlyList<Tensor> inputs, IReadOnlyList<string> inputNames,
        bool createGraph = false, UnusedInput unused = UnusedInput.Throw, bool[]? dependsOn = null)
    {
        CheckScalarOutput(output, outputName);
        CheckInputs(inputs, inputNames);
        if (!output.requires_grad)
            throw new HypergradException(
                $"The {outputName} does not depend on any tracked variable (its result does not require grad). " +
                "Compute it from the inner and outer variables without .detach(), torch.no_grad() or in-place copies into new tensors.");

        ProbeGraph(new[] { output }, null, inputs, outputName);
        var grads = torch.autograd.grad(new[] { output }, inputs.ToArray(), grad_outputs: null,
            retain_graph: true, create_graph: createGraph, allow_unused: true);
        return MapUnused(grads.ToArray(), inputs, inputNames, unused, $"The {outputName}", dependsOn);
    }

    /// <summary>
    /// Vector–Jacobian product Σᵢ cotangentᵢᵀ ∂outputᵢ/∂inputs. With outputs = ∇_w g (computed with
    /// <c>createGraph: true</c>) and inputs = w this is the Hessian-vector product H·v; with inputs = λ it
    /// is the mixed product (∂²_{λw} g)·v.
    /// </summary>
    /// <remarks>
    /// Outputs that do not require grad are constant in every input: their contribution is zero and they
    /// are left out of the native call, which would otherwise abort.
    /// </remarks>
    /// <param name="outputs">The differentiated outputs (any shapes).</param>
    /// <param name="outputName">How errors name the outputs, e.g. "gradient of the inner objective".</param>
    /// <param name="cotangents">One tensor per output, shaped like it.</param>
    /// <param name="inputs">Tensors to differentiate with respect to; each must require grad.</param>
    /// <param name="inputNames">Stable names of the inputs, used in errors.</param>
    /// <param name="createGraph">Keep the result differentiable.</param>
    /// <param name="dependsOn">If given (one slot per input), receives whether any output depends on each input (unused inputs get zeros).</param>
    public static Tensor[] VectorJacobianProduct(IReadOnlyList<Tensor> outputs, string outputName, IReadOnlyList<Tensor> cotangents,
        IReadOnlyList<Tensor> inputs, IReadOnlyList<string> inputNames, bool createGraph = false, bool[]? dependsOn = null)
    {
        if (outputs.Count != cotangents.Count)
            throw new ArgumentException($"{outputs.Count} outputs but {cotangents.Count} cotangents; pass one cotangent per output.", nameof(cotangents));
        CheckInputs(inputs, inputNames);

        var liveOutputs = new List<Tensor>(outputs.Count);
        var liveCotangents = new List<Tensor>(outputs.Count);
        for (int i = 0; i < outputs.Count; i++)
        {
            if (outputs[i] is null || outputs[i].IsInvalid)
                throw new HypergradException($"Output {i} of the {outputName} is disposed; keep it alive (inside the current dispose scope) until its products are computed.");
            if (cotangents[i] is null || cotangents[i].IsInvalid)
                throw new HypergradException($"Cotangent {i} for the {outputName} is null or disposed; pass a tensor shaped like the output.");
            if (!outputs[i].shape.SequenceEqual(cotangents[i].shape))
                throw new HypergradException(
                    $"Cotangent {i} for the {outputName} has shape [{string.Join(", ", cotangents[i].shape)}] but the output has [{string.Join(", ", outputs[i].shape)}]; pass one shaped like the output.");
            if (!outputs[i].requires_grad) continue;
            liveOutputs.Add(outputs[i]);
            liveCotangents.Add(cotangents[i]);
        }

        if (liveOutputs.Count == 0)
        {
            if (dependsOn is not null) Array.Fill(dependsOn, false);
            return inputs.Select(input => zeros_like(input)).ToArray();
        }

        ProbeGraph(liveOutputs, liveCotangents, inputs, outputName);
        var grads = torch.autograd.grad(liveOutputs, inputs.ToArray(), grad_outputs: liveCotangents,
            retain_graph: true, create_graph: createGraph, allow_unused: true);
        return MapUnused(grads.ToArray(), inputs, inputNames, UnusedInput.Zero, $"The {outputName}", dependsOn);
    }

    /// <summary>
    /// cotangentᵀ ∂output/∂inputs for an output and inputs that <see cref="Of"/> or <see cref="VectorJacobianProduct"/> already
    /// checked (the same tensors, with no user code run since): the matrix-free products of a linear system, many per
    /// solve, pay one native call and none of the per-input checks. Inputs the output does not use get zeros.
    /// </summary>
    /// <param name="output">A tensor that requires grad (checked by the caller: libtorch aborts otherwise).</param>
    /// <param name="cotangent">A live tensor shaped like <paramref name="output"/>.</param>
    /// <param name="inputs">Live tensors that require grad.</param>
    internal static Tensor[] CheckedProduct(Tensor output, Tensor cotangent, Tensor[] inputs)
    {
        var grads = torch.autograd.grad(new[] { output }, inputs, grad_outputs: new[] { cotangent },
            retain_graph: true, create_graph: false, allow_unused: true).ToArray();
        for (int i = 0; i < grads.Length; i++)
        {
            if (grads[i] is not null && !grads[i].IsInvalid) continue;
            if (grads[i] is not null) TensorCount.Forget(grads[i]);
            grads[i] = zeros_like(inputs[i]);
        }
        return grads;
    }

    // A leaf's .grad is only ever written by backward(): a non-zero one on an input means a backward pass went
    // through it, possibly through this very graph (freeing it), or through values since modified in place. Both
    // abort inside autograd.grad but throw from Tensor.backward, so replay the pass there first. Leaves with no or an
    // all-zero .grad (the hypergradient engine's fresh leaves, outer variables after zero_grad) cost one check each.
    static void ProbeGraph(IList<Tensor> outputs, IList<Tensor>? cotangents, IReadOnlyList<Tensor> inputs, string outputName)
    {
        List<Tensor>? touched = null;
        for (int i = 0; i < inputs.Count; i++)
            if (inputs[i].is_leaf && LeafGradient.IsNonZero(inputs[i])) (touched ??= new()).Add(inputs[i]);
        if (touched is null) return;

        using var scope = NewDisposeScope();
        var saved = touched.Select(t => { using var g = t.grad!; return g.detach().clone(); }).ToArray();
        try
        {
            torch.autograd.backward(outputs, cotangents, retain_graph: true, create_graph: false, inputs: touched);
        }
        catch (Exception e) when (e is not HypergradException)
        {
            throw new HypergradException(
                $"The {outputName} cannot be differentiated: {e.Message.Split('\n')[0]} " +
                "Its autograd graph was freed by an earlier backward() (an objective or a fixed-point map must not call loss.backward() itself: " +
                "Hypergrad differentiates it), or a tensor it used was modified in place after it was computed (compute the loss afresh on every call " +
                "instead of caching it, and do not update variables with add_/mul_/copy_ between evaluating and differentiating).", e);
        }
        finally
        {
            using var noGrad = no_grad();
            for (int i = 0; i < touched.Count; i++)
            {
                using var g = touched[i].grad;
                g?.copy_(saved[i]);
            }
        }
    }

    static void CheckScalarOutput(Tensor output, string outputName)
    {
        if (output is null || output.IsInvalid)
            throw new HypergradException($"The {outputName} returned a null or disposed tensor; return the loss tensor itself.");
        if (output.numel() != 1)
            throw new HypergradException(
                $"The {outputName} must return a scalar but returned shape [{string.Join(", ", output.shape)}]; reduce it with .mean() or .sum().");
        if (!output.is_floating_point())
            throw new HypergradException($"The {outputName} returned a {output.dtype} tensor; objectives must be floating point.");
    }

    static void CheckInputs(IReadOnlyList<Tensor> inputs, IReadOnlyList<string> inputNames)
    {
        if (inputs.Count != inputNames.Count)
            throw new ArgumentException($"{inputs.Count} inputs but {inputNames.Count} names; name every input.", nameof(inputNames));
        if (inputs.Count == 0)
            throw new HypergradException("Nothing to differentiate with respect to: the variable list is empty. Mark at least one member [Inner] and one [Outer].");
        for (int i = 0; i < inputs.Count; i++)
        {
            if (inputs[i] is null || inputs[i].IsInvalid)
                throw new HypergradException($"Variable '{inputNames[i]}' is null or disposed; keep the tensor alive while it is optimized (no using or Dispose on it).");
            if (inputs[i].numel() == 0)
                throw new HypergradException($"Variable '{inputNames[i]}' has no elements (shape [{string.Join(", ", inputs[i].shape)}]); give every variable at least one element.");
            if (!inputs[i].requires_grad)
                throw new HypergradException(
                    $"Variable '{inputNames[i]}' does not require grad, so nothing can be differentiated with respect to it. " +
                    "Create it as a Parameter (or call .requires_grad_(true)) and do not detach it.");
        }
    }

    static Tensor[] MapUnused(Tensor[] grads, IReadOnlyList<Tensor> inputs, IReadOnlyList<string> inputNames, UnusedInput unused, string what, bool[]? dependsOn)
    {
        if (dependsOn is not null && dependsOn.Length != grads.Length)
            throw new ArgumentException($"dependsOn has {dependsOn.Length} slots for {grads.Length} inputs; pass one per input.", nameof(dependsOn));
        for (int i = 0; i < grads.Length; i++)
        {
            bool used = grads[i] is not null && !grads[i].IsInvalid;
            if (dependsOn is not null) dependsOn[i] = used;
            if (used) continue;
            if (grads[i] is not null) TensorCount.Forget(grads[i]);
            if (unused == UnusedInput.Throw)
                throw new HypergradException(
                    $"{what} does not depend on variable '{inputNames[i]}'. Use it in the objective, or remove its [Inner]/[Outer] mark.");
            grads[i] = zeros_like(inputs[i]);
        }
        return grads;
    }
}
