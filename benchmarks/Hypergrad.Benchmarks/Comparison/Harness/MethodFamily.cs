namespace Hypergrad.Benchmarks.Comparison;

/// <summary>How a compared method works, for the table and the plot's legend.</summary>
public enum MethodFamily
{
    /// <summary>Hypergrad's methods as they were before the single-loop ones: inner steps, then a hypergradient (implicit or reverse mode).</summary>
    InnerLoop,

    /// <summary>Single-loop stochastic methods: the inner, auxiliary and outer variables step together.</summary>
    SingleLoop,

    /// <summary>Methods without Hessian-vector products (penalty or value-function reformulations).</summary>
    HessianFree,
}
