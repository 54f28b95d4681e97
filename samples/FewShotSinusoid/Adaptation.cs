using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn.functional;

namespace FewShotSinusoid;

/// <summary>How a network adapts to a new task at test time: plain gradient steps on the support loss (plus ½λ‖w − θ‖² if λ &gt; 0).</summary>
/// <param name="LineSearch">Steps start at <paramref name="LearningRate"/> and are halved until the loss decreases enough (<see cref="MetaTraining.Adapt"/>).</param>
public sealed record Adaptation(int Steps, double LearningRate, bool LineSearch = false)
{
    /// <summary>"16 steps of η 0.1".</summary>
    public override string ToString() => $"{Steps} steps of η {(LineSearch ? "≤ " : "")}{LearningRate:G3}" + (LineSearch ? " (line search)" : "");

    /// <summary>
    /// Mean query MSE over <paramref name="tasks"/> after adapting a copy of <paramref name="initialization"/>; with
    /// <paramref name="checkpoints"/>, the mean after each listed step count instead (one adaptation serves them all).
    /// </summary>
    public static double[] QueryLoss(Sequential initialization, IReadOnlyList<RegressionTask> tasks, double learningRate, bool lineSearch,
        IReadOnlyList<int> checkpoints)
    {
        var adapted = SinusoidNetwork.Create();
        var parameters = adapted.parameters().ToArray();
        var totals = new double[checkpoints.Count];
        int last = checkpoints.Max();
        foreach (var task in tasks)
        {
            using var scope = NewDisposeScope();
            SinusoidNetwork.CopyInto(initialization, adapted);
            MetaTraining.Adapt(parameters, () => mse_loss(adapted.call(task.SupportX), task.SupportY), last, learningRate, lineSearch, done =>
            {
                int at = IndexOf(checkpoints, done);
                if (at >= 0)
                    using (no_grad()) totals[at] += mse_loss(adapted.call(task.QueryX), task.QueryY).ToDouble();
            });
        }
        return totals.Select(t => t / tasks.Count).ToArray();
    }

    /// <summary>Mean query MSE over <paramref name="tasks"/> after this adaptation.</summary>
    public double QueryLoss(Sequential initialization, IReadOnlyList<RegressionTask> tasks) =>
        QueryLoss(initialization, tasks, LearningRate, LineSearch, [Steps])[0];

    static int IndexOf(IReadOnlyList<int> list, int value)
    {
        for (int i = 0; i < list.Count; i++) if (list[i] == value) return i;
        return -1;
    }
}

/// <summary>Fine-tuning chosen by a grid search on validation tasks (never the test tasks).</summary>
public static class TunedFineTuning
{
    /// <summary>The step size (fixed, or a line search from the largest) and step count of the grid with the lowest mean query MSE on <paramref name="validation"/>, and that MSE.</summary>
    public static (Adaptation Choice, double ValidationLoss) Tune(Sequential initialization, IReadOnlyList<RegressionTask> validation, FewShotSettings settings)
    {
        (Adaptation, double) best = (new Adaptation(0, 0), double.PositiveInfinity);
        var candidates = settings.TuningLearningRates.Select(r => (r, false)).Append((settings.TuningLearningRates.Max(), true));
        foreach (var (learningRate, lineSearch) in candidates)
        {
            var losses = Adaptation.QueryLoss(initialization, validation, learningRate, lineSearch, settings.TuningSteps);
            for (int i = 0; i < losses.Length; i++)
                if (losses[i] < best.Item2) best = (new Adaptation(settings.TuningSteps[i], learningRate, lineSearch), losses[i]);
        }
        return best;
    }
}
