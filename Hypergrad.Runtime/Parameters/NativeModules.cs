using System;
using System.Linq;
using System.Reflection;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Hypergrad.Parameters;

/// <summary>
/// Finds TorchSharp modules whose weights live only in native code (Embedding, EmbeddingBag,
/// RNN/LSTM/GRU and their cells, …): their forward never reads the managed Parameter objects, so
/// substituting those objects would silently leave the module's output unchanged.
/// </summary>
static class NativeModules
{
    static readonly Assembly TorchSharpAssembly = typeof(nn.Module).Assembly;

    /// <summary>Throws naming the first native-weight module (with a trainable parameter) inside <paramref name="root"/>.</summary>
    public static void ThrowIfAny(string rootName, nn.Module root)
    {
        foreach (var (path, module) in root.named_modules().Prepend((string.Empty, root)))
        {
            if (module.GetType().Assembly != TorchSharpAssembly || module is ParameterList or ParameterDict) continue;
            foreach (var (name, parameter) in module.named_parameters(recurse: false))
            {
                if (!parameter.requires_grad || HeldInManagedField(module, parameter)) continue;
                var where = path.Length == 0 ? rootName : $"{rootName}.{path}";
                throw new HypergradException(
                    $"'{where}' is a TorchSharp {module.GetType().Name}, whose weights live in native code (its parameter '{name}' is not read by managed code), " +
                    "so Hypergrad cannot differentiate through its forward with substituted values. " +
                    $"Write that layer from managed modules and tensor ops (e.g. an embedding as one_hot(x) matmul a Parameter), or freeze it with requires_grad_(false).");
            }
        }
    }

    static bool HeldInManagedField(nn.Module module, Tensor parameter)
    {
        for (var type = module.GetType(); type is not null && type != typeof(object); type = type.BaseType)
            foreach (var field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
                if (typeof(Tensor).IsAssignableFrom(field.FieldType) && ReferenceEquals(field.GetValue(module), parameter))
                    return true;
        return false;
    }
}
