using System;
using static TorchSharp.torch;

namespace Hypergrad.Parameters;

/// <summary>
/// One named member that contributes tensors to a <see cref="ParameterSet"/>: a module (expanded into
/// its trainable parameters, "Model.weight", "Model.bias", …) or a single tensor or Parameter.
/// </summary>
/// <remarks>Tuples convert implicitly: <c>new ParameterSet(("Model", model), ("LogDecay", logDecay))</c>.</remarks>
public sealed class ParameterSource
{
    ParameterSource(string name, nn.Module? module, Tensor? tensor)
    {
        if (string.IsNullOrWhiteSpace(name))
            throw new ArgumentException("Name every variable (the member name, e.g. \"Model\").", nameof(name));
        Name = name;
        Module = module;
        Tensor = tensor;
    }

    /// <summary>The member name; a module's parameters are named "<c>Name.parameterName</c>".</summary>
    public string Name { get; }

    /// <summary>The module whose trainable parameters (<c>requires_grad</c>) are the variables, or null.</summary>
    public nn.Module? Module { get; }

    /// <summary>The single tensor (or Parameter) that is the variable, or null.</summary>
    public Tensor? Tensor { get; }

    /// <summary>A module: every parameter with <c>requires_grad</c> becomes a variable named "<c>name.parameter</c>".</summary>
    public static ParameterSource FromModule(string name, nn.Module module) =>
        new(name, module ?? throw new HypergradException($"Variable '{name}' is a null module; create the module before building the parameter set."), null);

    /// <summary>A single leaf tensor or Parameter.</summary>
    public static ParameterSource FromTensor(string name, Tensor tensor) =>
        new(name, null, tensor ?? throw new HypergradException($"Variable '{name}' is a null tensor; create it before building the parameter set."));

    /// <summary>Converts <c>("Model", module)</c>.</summary>
    public static implicit operator ParameterSource((string Name, nn.Module Module) source) => FromModule(source.Name, source.Module);

    /// <summary>Converts <c>("LogDecay", tensor)</c>.</summary>
    public static implicit operator ParameterSource((string Name, Tensor Tensor) source) => FromTensor(source.Name, source.Tensor);
}
