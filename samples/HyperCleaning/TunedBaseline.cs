using Hypergrad.Samples;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using static TorchSharp.torch.nn.functional;

namespace HyperCleaning;

/// <summary>The setting a baseline's grid search chose, and the held-out accuracy it was chosen by.</summary>
public sealed record BaselineChoice(double LearningRate, double Ridge, int Steps, double HeldOutAccuracy)
{
    /// <summary>"η 0.5, ρ 1e-3, 80 steps".</summary>
    public override string ToString() => $"η {LearningRate:G3}, ρ {Ridge:0e0}, {Steps} steps";
}

/// <summary>
/// A baseline tuned as carefully as the method: the same linear classifier trained by full-batch gradient
/// descent from zero, its step size, ridge and number of steps (early stopping) chosen by accuracy on
/// clean held-out images, never on the test set.
/// </summary>
public static class TunedBaseline
{
    /// <summary>
    /// Trains on (<paramref name="x"/>, <paramref name="y"/>) at every step size and ridge of the grid, scores
    /// each checkpoint of <see cref="HyperCleaningSettings.TuningSteps"/> on the held-out set, and returns the best.
    /// </summary>
    public static BaselineChoice Tune(Tensor x, Tensor y, Tensor heldOutX, Tensor heldOutY, HyperCleaningSettings settings)
    {
        BaselineChoice? best = null;
        foreach (var learningRate in settings.TuningLearningRates)
            foreach (var ridge in settings.TuningRidges)
            {
                using var model = Train(x, y, learningRate, ridge, settings.TuningSteps, (steps, m) =>
                {
                    double accuracy = PlainTraining.Accuracy(m, heldOutX, heldOutY);
                    if (best is null || accuracy > best.HeldOutAccuracy) best = new BaselineChoice(learningRate, ridge, steps, accuracy);
                });
            }
        return best!;
    }

    /// <summary>Trains with one setting, calling <paramref name="checkpoint"/> after each step count listed in <paramref name="checkpoints"/>.</summary>
    public static Linear Train(Tensor x, Tensor y, double learningRate, double ridge, IReadOnlyList<int> checkpoints, Action<int, Linear>? checkpoint = null)
    {
        var model = Linear(x.shape[1], CleaningData.Classes);
        using (no_grad())
        {
            model.weight!.zero_();
            model.bias!.zero_();
        }
        using var optimizer = optim.SGD(model.parameters(), learningRate);
        int last = checkpoints.Max();
        for (int step = 1; step <= last; step++)
        {
            using (var scope = NewDisposeScope())
            {
                optimizer.zero_grad();
                var loss = cross_entropy(model.call(x), y) + 0.5 * ridge * model.weight!.pow(2).sum();
                loss.backward();
                optimizer.step();
            }
            if (checkpoints.Contains(step)) checkpoint?.Invoke(step, model);
        }
        return model;
    }
}
