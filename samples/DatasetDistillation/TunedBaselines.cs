using Hypergrad.Data;
using static TorchSharp.torch;

namespace DatasetDistillation;

/// <summary>The setting a baseline's grid search chose on the validation images, and what it gave.</summary>
/// <param name="LearningRate">The chosen step size η.</param>
/// <param name="Steps">The number of steps (or, for mini-batch training, epochs) it was trained for.</param>
/// <param name="ValidationAccuracy">Its accuracy on the validation images (what chose it).</param>
/// <param name="TestAccuracy">Its accuracy on the test images (reported, never used to choose).</param>
public sealed record StepSizeChoice(double LearningRate, int Steps, double ValidationAccuracy, double TestAccuracy);

/// <summary>
/// The baselines, tuned as carefully as the distillation: the same linear classifier trained from zero by gradient
/// descent, with its step size (and, for the converged row, its length) chosen by accuracy on the validation images.
/// The test images are only evaluated, for the table.
/// </summary>
public static class TunedBaselines
{
    /// <summary>
    /// Trains on (<paramref name="x"/>, <paramref name="y"/>) by <paramref name="steps"/> full-batch steps at every
    /// step size of <paramref name="grid"/> at once and keeps the one with the best validation accuracy.
    /// </summary>
    public static StepSizeChoice FullBatch(Tensor x, Tensor y, int steps, IReadOnlyList<double> grid, DistillationData data)
    {
        using var bank = new LinearBank(grid, x.shape[1], DistillationData.Classes, x.dtype);
        for (int step = 0; step < steps; step++) bank.Step(x, y);
        return Best(bank, grid, steps, data);
    }

    /// <summary>
    /// One choice per draw: draw d's images <paramref name="images"/>[d] ([draws, n, D], labels [draws, n]) train a
    /// classifier by <paramref name="steps"/> full-batch steps at every step size of <paramref name="grid"/>, and the
    /// step size with the draw's best validation accuracy is kept. All draws × step sizes train as one bank.
    /// </summary>
    public static IReadOnlyList<StepSizeChoice> PerDraw(Tensor images, Tensor labels, int steps, IReadOnlyList<double> grid, DistillationData data)
    {
        using var scope = NewDisposeScope();
        int draws = (int)images.shape[0];
        // Classifier d·|grid| + g trains on draw d with step size grid[g].
        var rates = Enumerable.Range(0, draws).SelectMany(_ => grid).ToArray();
        using var bank = new LinearBank(rates, images.shape[2], DistillationData.Classes, images.dtype);
        var x = images.repeat_interleave(grid.Count, 0);
        var y = labels.repeat_interleave(grid.Count, 0);
        for (int step = 0; step < steps; step++) bank.Step(x, y);
        var validation = bank.Accuracies(data.ValidationX, data.ValidationY);
        var test = bank.Accuracies(data.TestX, data.TestY);
        return Enumerable.Range(0, draws).Select(d =>
        {
            int best = Enumerable.Range(d * grid.Count, grid.Count).MaxBy(i => validation[i]);
            return new StepSizeChoice(rates[best], steps, validation[best], test[best]);
        }).ToList();
    }

    /// <summary>
    /// The strong reference: a classifier trained to convergence on all of (<paramref name="x"/>, <paramref name="y"/>)
    /// by mini-batch gradient descent (shuffled batches of <paramref name="batchSize"/>), every step size of
    /// <paramref name="grid"/> at once, scored on the validation images after each epoch count in
    /// <paramref name="epochCheckpoints"/> (early stopping); the best (step size, epochs) is kept.
    /// </summary>
    public static StepSizeChoice Converged(Tensor x, Tensor y, int batchSize, IReadOnlyList<double> grid, IReadOnlyList<int> epochCheckpoints, int seed, DistillationData data)
    {
        using var bank = new LinearBank(grid, x.shape[1], DistillationData.Classes, x.dtype);
        long stepsPerEpoch = x.shape[0] / batchSize;
        using var batches = BatchSource.Shuffled(x, y, batchSize, seed).GetEnumerator();
        StepSizeChoice? best = null;
        for (int epoch = 1; epoch <= epochCheckpoints.Max(); epoch++)
        {
            for (long step = 0; step < stepsPerEpoch; step++)
            {
                using var scope = NewDisposeScope();
                batches.MoveNext();
                bank.Step(batches.Current.Inputs, batches.Current.Targets);
            }
            if (!epochCheckpoints.Contains(epoch)) continue;
            var candidate = Best(bank, grid, epoch, data);
            if (best is null || candidate.ValidationAccuracy > best.ValidationAccuracy) best = candidate;
        }
        return best!;
    }

    static StepSizeChoice Best(LinearBank bank, IReadOnlyList<double> grid, int steps, DistillationData data)
    {
        var validation = bank.Accuracies(data.ValidationX, data.ValidationY);
        var test = bank.Accuracies(data.TestX, data.TestY);
        int best = Enumerable.Range(0, grid.Count).MaxBy(i => validation[i]);
        return new StepSizeChoice(grid[best], steps, validation[best], test[best]);
    }
}
