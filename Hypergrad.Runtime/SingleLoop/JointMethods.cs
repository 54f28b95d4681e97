using Hypergrad.HessianFree;
using Hypergrad.Optimizers;
using Hypergrad.Parameters;
using Hypergrad.Solving;

namespace Hypergrad.SingleLoop;

/// <summary>Builds the joint method of a problem's settings.</summary>
internal static class JointMethods
{
    /// <summary>The method of <paramref name="settings"/>, its auxiliary step resolved against <paramref name="innerOptimizer"/>.</summary>
    /// <remarks>
    /// <c>innerBatches</c> and <c>outerBatches</c> size SABA's memory: the batches of the finite datasets, 1 for a single pair of batches.
    /// </remarks>
    public static JointMethod Create(string problem, HypergradientSettings settings, ParameterSet inner, ParameterSet outer, DifferentiableOptimizer innerOptimizer,
        int innerBatches = 1, int outerBatches = 1)
    {
        double step = AuxiliaryStep(problem, settings, innerOptimizer);
        return settings.Method switch
        {
            Method.Soba => new Soba(inner, outer, settings, step),
            Method.MaSoba => new MaSoba(inner, outer, settings, step),
            Method.Saba => new Saba(inner, outer, settings, step, innerBatches, outerBatches),
            Method.Amigo => new Amigo(inner, outer, settings, step),
            Method.StocBio => new StocBio(inner, outer, settings, step),
            Method.F2sa => new F2sa(inner, outer, settings, step),
            Method.Bome => new Bome(inner, outer, settings, step),
            Method.Pgdm => new Pgdm(inner, outer, settings, step),
            _ => throw new HypergradException($"Method.{settings.Method} is not a joint (single-loop or Hessian-free) method."),
        };
    }

    /// <summary>
    /// AuxiliaryStepSize, or when unset the inner optimizer's learning rate (benchopt's convention: the same step for w and
    /// for the method's own state), which only a constant-rate SGD has.
    /// </summary>
    private static double AuxiliaryStep(string problem, HypergradientSettings settings, DifferentiableOptimizer innerOptimizer)
    {
        if (settings.AuxiliaryStepSize is double step) return step;
        if (innerOptimizer is DifferentiableSgd { LearningRate.IsConstant: true } sgd) return sgd.LearningRate.Constant;
        throw new HypergradException(
            $"{problem}: Method.{settings.Method} steps its own state with AuxiliaryStepSize, which is unset, and the inner optimizer " +
            $"({innerOptimizer.GetType().Name}) has no constant learning rate to take it from. Set AuxiliaryStepSize in [Hypergradient] " +
            "(or HypergradientSettings), or use a constant-rate DifferentiableSgd as the inner optimizer.");
    }
}
