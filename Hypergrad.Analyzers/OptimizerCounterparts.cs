namespace Hypergrad.Analyzers;

/// <summary>
/// The runtime's differentiable counterpart (Hypergrad.Optimizers) of each built-in torch.optim optimizer,
/// proposed by HG0008 and inserted by its code fix.
/// </summary>
internal static class OptimizerCounterparts
{
    /// <summary>The namespace of the differentiable optimizers.</summary>
    public const string Namespace = "Hypergrad.Optimizers";

    /// <summary>The counterpart's fully qualified factory, e.g. "Hypergrad.Optimizers.MetaSGD" for SGD.</summary>
    public static string For(string torchOptimizer) => $"{Namespace}.Meta{Normalize(torchOptimizer)}";

    private static string Normalize(string name) => name switch
    {
        "Adagrad" => "AdaGrad",
        "Adadelta" => "AdaDelta",
        "Adamax" => "AdaMax",
        "RMSprop" => "RMSProp",
        _ => name,
    };
}
