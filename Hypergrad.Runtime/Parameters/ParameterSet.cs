using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Hypergrad.Parameters;

/// <summary>
/// An ordered set of named variables ("Model.weight", "Model.bias", "LogDecay") whose values live in
/// ONE contiguous 1-D buffer, <see cref="Flat"/>, with a named view per variable.
/// </summary>
/// <remarks>
/// <para>
/// Construction moves every variable's storage into the buffer (<c>set_</c> under no_grad): the user's
/// tensor and Parameter objects keep their identity (optimizers, modules and saved references still
/// work) but now view the buffer, so an in-place update of <see cref="Flat"/> updates every variable,
/// and an optimizer step on a variable updates <see cref="Flat"/>. Solver vector algebra (dot, axpy,
/// norm) is therefore one native call on a 1-D tensor, whatever the number of tensors.
/// </para>
/// <para>
/// Differentiation: <see cref="CreateLeaf"/> gives a 1-D leaf that aliases the current values and
/// <see cref="Substitute(Tensor)"/> makes every variable compute with a view of any flat tensor (a leaf or a
/// non-leaf such as an unrolled iterate), so an objective evaluated inside the scope is differentiable
/// with respect to that single flat tensor: ∇_w g is one tensor and a Hessian-vector product is one
/// autograd call.
/// </para>
/// <para>
/// All variables must share one floating dtype and one device, and be leaves. Module parameters with
/// <c>requires_grad == false</c> (frozen) are not variables. A Parameter reachable twice (tied weights)
/// is one variable, under its first name.
/// </para>
/// <para>
/// Build the set after the model is in its final dtype and device: replacing a parameter object later
/// (<c>module.to(float64)</c>, assigning a new Parameter) leaves the set holding the old one. In-place
/// changes (<c>load_state_dict</c>, optimizer steps, <c>copy_</c>) go into the buffer and are seen.
/// </para>
/// </remarks>
public sealed class ParameterSet : IReadOnlyList<NamedTensor>, IDisposable
{
    readonly NamedTensor[] variables;
    readonly long[] offsets;
    readonly long[] sizes;
    readonly long[][] shapes;   // read once: View runs for every variable at every substitution, and .shape is a native call
    internal Substitution? ActiveSubstitution;
    // The leaves ActiveSubstitution computes with (the flat leaf, or one leaf per variable): a user's backward() shows in their .grad.
    internal IReadOnlyList<Tensor> ActiveLeaves = Array.Empty<Tensor>();

    /// <summary>Builds the set and moves every variable's storage into one flat buffer.</summary>
    /// <param name="sources">Modules, Parameters and tensors, each with its member name.</param>
    public ParameterSet(params ParameterSource[] sources) : this((IEnumerable<ParameterSource>)sources) { }

    /// <inheritdoc cref="ParameterSet(ParameterSource[])"/>
    public ParameterSet(IEnumerable<ParameterSource> sources)
    {
        ArgumentNullException.ThrowIfNull(sources);
        Sources = sources.ToArray();
        variables = Expand(Sources).ToArray();
        if (variables.Length == 0)
            throw new HypergradException(
                "The parameter set is empty: the modules given have no trainable parameters and no tensor was given. Mark at least one variable. " +
                "(A module does not list a parameter that was disposed, e.g. by a using over module.weight: keep module parameters alive.)");
        Check(variables);

        sizes = variables.Select(v => v.Tensor.numel()).ToArray();
        shapes = variables.Select(v => v.Tensor.shape).ToArray();
        offsets = new long[sizes.Length];
        for (int i = 1; i < sizes.Length; i++) offsets[i] = offsets[i - 1] + sizes[i - 1];
        Size = offsets[^1] + sizes[^1];

        using (no_grad())
        {
            using (var scope = NewDisposeScope())
                Flat = cat(variables.Select(v => v.Tensor.detach().reshape(-1)).ToList(), 0).MoveToOuterDisposeScope();
            Flat.DetachFromDisposeScope();
            for (int i = 0; i < variables.Length; i++)
            {
                using var view = View(Flat, i);
                variables[i].Tensor.set_(view);
            }
        }
    }

    /// <summary>The members the set was built from (modules and tensors, with their member names), in order.</summary>
    public IReadOnlyList<ParameterSource> Sources { get; }

    /// <summary>The flat buffer holding every variable's current value (1-D, <see cref="Size"/> elements). Variables are views of it.</summary>
    public Tensor Flat { get; }

    /// <summary>Total number of scalar values in the set.</summary>
    public long Size { get; }

    /// <summary>The dtype shared by all variables.</summary>
    public ScalarType DType => Flat.dtype;

    /// <summary>Number of variables (tensors).</summary>
    public int Count => variables.Length;

    /// <summary>The variable at <paramref name="index"/>: its name and the user's own tensor object.</summary>
    public NamedTensor this[int index] => variables[index];

    /// <summary>Variable names in set order.</summary>
    public IEnumerable<string> Names => variables.Select(v => v.Name);

    /// <summary>Index of the variable called <paramref name="name"/>, or -1.</summary>
    public int IndexOf(string name) => Array.FindIndex(variables, v => v.Name == name);

    /// <summary>
    /// A 1-D leaf that requires grad and aliases the current values (no copy): differentiate objectives
    /// evaluated under <c>Substitute(leaf)</c> with respect to it.
    /// </summary>
    public Tensor CreateLeaf() => Flat.detach().requires_grad_(true);

    /// <summary>
    /// One 1-D leaf per variable that requires grad and aliases the variable's part of the current values (no copy).
    /// Substituted with <see cref="Substitute(IReadOnlyList{Tensor})"/>, an objective's gradient is one 1-D tensor per
    /// variable straight from autograd (concatenated: the flat gradient), where a flat leaf adds the split of its views to
    /// every backward pass and to every Hessian-vector product's double backward.
    /// </summary>
    internal Tensor[] CreateVariableLeaves()
    {
        using var scope = NewDisposeScope();
        var parts = Flat.split(sizes);
        var leaves = new Tensor[variables.Length];
        for (int i = 0; i < leaves.Length; i++) leaves[i] = parts[i].detach().requires_grad_(true).MoveToOuterDisposeScope();
        return leaves;
    }

    /// <summary>A 1-D part of variable <paramref name="index"/> (e.g. its gradient with respect to its leaf), shaped like the variable.</summary>
    internal Tensor ShapedLike(int index, Tensor part) => part.view(shapes[index]);

    /// <summary>
    /// The view of variable <paramref name="index"/> inside any flat tensor laid out like this set
    /// (the buffer, a gradient, a search direction), shaped like the variable.
    /// </summary>
    public Tensor View(Tensor flat, int index)
    {
        using var slice = flat.narrow(0, offsets[index], sizes[index]);
        return slice.view(shapes[index]);
    }

    /// <summary>Views of every variable inside <paramref name="flat"/>, in set order.</summary>
    /// <remarks>
    /// The views come from one <c>split</c>, a multi-output view function: autograd refuses an in-place change of such a
    /// view (with an ordinary exception) while grad mode is on. An objective that edited a substituted variable in place
    /// (<c>W.mul_(…)</c>) would otherwise rewrite the iterate that earlier steps' graphs saved, and libtorch aborts the
    /// process when it later differentiates through them.
    /// </remarks>
    public Tensor[] Split(Tensor flat)
    {
        using var scope = NewDisposeScope();
        var parts = flat.split(sizes);
        var views = new Tensor[variables.Length];
        for (int i = 0; i < views.Length; i++) views[i] = parts[i].view(shapes[i]).MoveToOuterDisposeScope();
        return views;
    }

    /// <summary>Concatenates per-variable tensors (one per variable, in set order) into a new flat tensor.</summary>
    public Tensor Flatten(IReadOnlyList<Tensor> perVariable)
    {
        if (perVariable.Count != variables.Length)
            throw new ArgumentException($"Expected {variables.Length} tensors (one per variable) but got {perVariable.Count}.", nameof(perVariable));
        using var scope = NewDisposeScope();
        return cat(perVariable.Select(t => t.reshape(-1)).ToList(), 0).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Makes every variable compute with the matching view of <paramref name="flat"/> until the returned
    /// scope is disposed; then every variable is restored exactly (same objects, same values), also when
    /// the code inside throws.
    /// </summary>
    /// <remarks>
    /// Use it to evaluate an objective (a closure over modules, Parameters or tensors of this set) at
    /// other values that stay in the autograd graph:
    /// <code>
    /// var w = set.CreateLeaf();
    /// Tensor loss;
    /// using (set.Substitute(w)) loss = objective();
    /// var grad = Gradients.Of(loss, "inner objective", new[] { w }, new[] { "inner variables" })[0];
    /// </code>
    /// The graph built inside the scope stays valid after it ends. Only the objects of this set are
    /// redirected: tensors copied out of them before the scope (e.g. <c>w.clone()</c>) are not.
    /// Scopes of one set cannot be nested.
    /// </remarks>
    /// <param name="flat">A 1-D tensor of <see cref="Size"/> elements and this set's dtype; it may be a non-leaf.</param>
    public Substitution Substitute(Tensor flat)
    {
        if (flat is null || flat.IsInvalid)
            throw new HypergradException("The tensor to substitute is null or disposed; pass a live 1-D tensor laid out like the parameter set.");
        if (flat.dim() != 1 || flat.numel() != Size)
            throw new HypergradException(
                $"Cannot substitute a tensor of shape [{string.Join(", ", flat.shape)}] into a parameter set of {Size} values ({string.Join(", ", Names)}); pass a 1-D tensor of {Size} elements.");
        if (flat.dtype != DType)
            throw new HypergradException($"Cannot substitute a {flat.dtype} tensor into a {DType} parameter set ({string.Join(", ", Names)}); convert it with .to({DType}).");
        ThrowIfSubstituted();
        var substitution = new Substitution(this, Split(flat));
        ActiveLeaves = flat.is_leaf ? new[] { flat } : Array.Empty<Tensor>();
        return ActiveSubstitution = substitution;
    }

    /// <summary>
    /// Makes every variable compute with a view, shaped like it, of its leaf in <paramref name="leaves"/> (from
    /// <see cref="CreateVariableLeaves"/>) until the returned scope is disposed. An in-place change of such a view is refused
    /// by autograd (a view of a leaf that requires grad) with an ordinary exception, as for <see cref="Split"/>'s views.
    /// </summary>
    internal Substitution Substitute(IReadOnlyList<Tensor> leaves)
    {
        if (leaves.Count != variables.Length)
            throw new ArgumentException($"Expected {variables.Length} leaves (one per variable) but got {leaves.Count}.", nameof(leaves));
        ThrowIfSubstituted();
        var views = new Tensor[variables.Length];
        for (int i = 0; i < views.Length; i++) views[i] = leaves[i].view(shapes[i]);
        var substitution = new Substitution(this, views);
        ActiveLeaves = leaves;
        return ActiveSubstitution = substitution;
    }

    void ThrowIfSubstituted()
    {
        if (ActiveSubstitution is not null)
            throw new HypergradException($"The parameter set ({string.Join(", ", Names)}) is already substituted; dispose the previous Substitute scope first.");
    }

    /// <summary>
    /// Names of the variables holding NaN or ±Inf, in set order; empty when every value is finite.
    /// One check on the flat buffer; the per-variable search runs only when that check fails.
    /// </summary>
    public IReadOnlyList<string> NonFiniteVariables()
    {
        using var scope = NewDisposeScope();
        if (Flat.isfinite().all().item<bool>()) return Array.Empty<string>();
        return Enumerable.Range(0, variables.Length)
            .Where(i => !View(Flat, i).isfinite().all().item<bool>())
            .Select(i => variables[i].Name)
            .ToArray();
    }

    /// <summary>Releases the flat buffer's handle; the variables keep their (shared) storage.</summary>
    public void Dispose() => Flat.Dispose();

    /// <inheritdoc/>
    public IEnumerator<NamedTensor> GetEnumerator() => ((IEnumerable<NamedTensor>)variables).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    static IEnumerable<NamedTensor> Expand(IEnumerable<ParameterSource> sources)
    {
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        foreach (var source in sources)
        {
            if (source.Tensor is not null)
            {
                if (seen.Add(source.Tensor)) yield return new NamedTensor(source.Name, source.Tensor);
                continue;
            }
            var module = source.Module!;
            NativeModules.ThrowIfAny(source.Name, module);
            foreach (var (name, parameter) in module.named_parameters())
                if (parameter.requires_grad && seen.Add(parameter))
                    yield return new NamedTensor($"{source.Name}.{name}", parameter);
        }
    }

    static void Check(NamedTensor[] variables)
    {
        var first = variables[0];
        var names = new HashSet<string>();
        foreach (var (name, tensor) in variables)
        {
            if (!names.Add(name))
                throw new HypergradException($"Two variables are called '{name}'; give every member its own name.");
            if (tensor.IsInvalid)
                throw new HypergradException($"Variable '{name}' is disposed; keep the tensor alive while it is optimized.");
            if (tensor.numel() == 0)
                throw new HypergradException(
                    $"Variable '{name}' has no elements (shape [{string.Join(", ", tensor.shape)}]): there is nothing to optimize, and libtorch aborts on some " +
                    "products of empty tensors. Give it at least one element, or remove its [Inner]/[Outer] mark.");
            if (!tensor.is_floating_point())
                throw new HypergradException($"Variable '{name}' is a {tensor.dtype} tensor; variables must be floating point (e.g. torch.float32 or float64).");
            if (!tensor.is_leaf)
                throw new HypergradException(
                    $"Variable '{name}' is not a leaf tensor (it was computed from other tensors that require grad); create it directly, e.g. as a Parameter, or .detach() it first.");
            if (tensor.dtype != first.Tensor.dtype || tensor.device.ToString() != first.Tensor.device.ToString())
                throw new HypergradException(
                    $"Variable '{name}' is {tensor.dtype} on {tensor.device} but '{first.Name}' is {first.Tensor.dtype} on {first.Tensor.device}; " +
                    "all variables of one set share one flat buffer, so give them one dtype and device (e.g. module.to(float64)).");
        }
    }
}
