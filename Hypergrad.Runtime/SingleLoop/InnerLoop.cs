using Hypergrad.Solving;
using static TorchSharp.torch;

namespace Hypergrad.SingleLoop;

/// <summary>The inner SGD steps that AmIGO, StocBiO and F²SA take on w before their outer step, one inner batch each.</summary>
internal static class InnerLoop
{
    /// <summary>
    /// <paramref name="steps"/> inner optimizer steps along ∇_w g, each on the next inner batch, at the schedule's factor; returns
    /// the last gradient (at the iterate before the last step).
    /// </summary>
    public static Tensor Run(JointOracles oracles, IJointRun run, int steps, double scale)
    {
        Tensor gradient = null!;
        for (int k = 0; k < steps; k++)
        {
            var g = oracles.Inner(run.NextInner().Objective);
            run.InnerLoss(g.Value);
            run.StepInner(g.GradW, scale);
            gradient = g.GradW;
        }
        return gradient;
    }

    /// <summary>InnerSteps of the settings (default 10).</summary>
    public static int Steps(HypergradientSettings settings) =>
        settings.InnerSteps ?? (int)OptionRules.InnerSteps.Default(new OptionContext(settings.Method, null, false))!.Value;

    /// <summary>Iterations of the settings for AmIGO and StocBiO (default 10).</summary>
    public static int Iterations(HypergradientSettings settings) =>
        settings.Iterations ?? (int)OptionRules.Iterations.Default(new OptionContext(settings.Method, null, false))!.Value;
}
