namespace Hypergrad.Generators.Extraction;

/// <summary>Which family a <see cref="Method"/> belongs to.</summary>
internal static class MethodFamily
{
    /// <summary>
    /// True for the iterative methods, which differentiate through the inner steps: everything the class does
    /// between two outer steps must then stay in the autograd graph.
    /// </summary>
    public static bool IsIterative(Method method) => method >= Method.ReverseUnroll;
}
