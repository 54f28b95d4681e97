using System.Collections.Generic;

namespace Hypergrad.Analyzers;

/// <summary>
/// The runtime's differentiable counterpart (Hypergrad.Optimizers) of each built-in torch.optim optimizer,
/// proposed by HG0008 and inserted by its code fix, with how torch.optim's parameter names map to its own.
/// Linked into Hypergrad.CodeFixers.
/// </summary>
internal static class OptimizerCounterparts
{
    /// <summary>The namespace of the differentiable optimizers.</summary>
    public const string Namespace = "Hypergrad.Optimizers";

    /// <summary>Property key of HG0008 diagnostics holding the counterpart's class name (absent: none exists).</summary>
    public const string ReplacementKey = "Replacement";

    private static readonly Dictionary<string, string> Classes = new()
    {
        ["SGD"] = "DifferentiableSgd",
        ["Adam"] = "DifferentiableAdam",
        ["AdamW"] = "DifferentiableAdamW",
        ["Adagrad"] = "DifferentiableAdaGrad",
        ["Adadelta"] = "DifferentiableAdaDelta",
        ["Adamax"] = "DifferentiableAdaMax",
        ["RAdam"] = "DifferentiableRAdam",
        ["RMSProp"] = "DifferentiableRmsProp",
    };

    /// <summary>torch.optim parameter name → counterpart constructor parameter name; absent names are dropped.</summary>
    private static readonly Dictionary<string, string> ParameterNames = new()
    {
        ["lr"] = "learningRate",
        ["learningRate"] = "learningRate",
        ["momentum"] = "momentum",
        ["dampening"] = "dampening",
        ["weight_decay"] = "weightDecay",
        ["nesterov"] = "nesterov",
        ["beta1"] = "beta1",
        ["beta2"] = "beta2",
        ["eps"] = "eps",
        ["rho"] = "rho",
        ["alpha"] = "alpha",
        ["centered"] = "centered",
        ["lr_decay"] = "learningRateDecay",
        ["initial_accumulator_value"] = "initialAccumulatorValue",
    };

    /// <summary>The counterpart's class name for a torch.optim optimizer ("DifferentiableSgd" for "SGD"), or null when there is none.</summary>
    public static string? ClassFor(string torchOptimizer) => Classes.TryGetValue(torchOptimizer, out var name) ? name : null;

    /// <summary>The counterpart's parameter for a torch.optim parameter, or null when it has none (parameters, maximize, amsgrad).</summary>
    public static string? ParameterFor(string torchParameter) => ParameterNames.TryGetValue(torchParameter, out var name) ? name : null;

    /// <summary>How diagnostics name the counterpart.</summary>
    public static string Describe(string torchOptimizer) =>
        ClassFor(torchOptimizer) is { } name ? $"{Namespace}.{name}" : $"{Namespace} optimizer (DifferentiableSgd, DifferentiableAdam, DifferentiableAdamW, DifferentiableAdaGrad, DifferentiableAdaDelta, DifferentiableAdaMax, DifferentiableRAdam, DifferentiableRmsProp)";
}
