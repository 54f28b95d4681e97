using TorchSharp.Modules;
using static TorchSharp.torch;

namespace WeightDecay;

/// <summary>The penalty a baseline puts on its weights.</summary>
public enum Penalty
{
    /// <summary>½·α·‖w‖²: one decay shared by all weights (the method's penalty with every λⱼ = α).</summary>
    SharedDecay,
    /// <summary>α·‖w‖₁ (L1-regularised logistic regression), applied by a proximal (soft-threshold) step.</summary>
    L1,
}

/// <summary>The strength and step count a baseline's grid search chose, and the validation loss it was chosen by.</summary>
public sealed record BaselineChoice(double LearningRate, double Strength, int Steps, double ValidationLoss)
{
    /// <summary>"η 1, α 0.01, 1000 steps".</summary>
    public override string ToString() => $"η {LearningRate:G2}, α {Strength:G2}, {Steps} steps";
}

/// <summary>
/// A baseline tuned as carefully as the method: logistic regression trained from zero by full-batch SGD, its
/// step size, penalty strength and number of steps (early stopping) chosen by validation loss, the method's
/// own outer objective; the test set is never looked at.
/// </summary>
public static class TunedBaseline
{
    /// <summary>
    /// Trains at every step size and strength of the grid, scores each checkpoint on the validation set, returns
    /// the best. Pairs with η·α &gt; 1 are skipped: there the shared decay's step overshoots, the bound the
    /// method's decays obey too.
    /// </summary>
    public static BaselineChoice Tune(Tensor x, Tensor y, Tensor validationX, Tensor validationY, Penalty penalty,
        IReadOnlyList<double> learningRates, IReadOnlyList<double> strengths, IReadOnlyList<int> checkpoints)
    {
        BaselineChoice? best = null;
        foreach (var learningRate in learningRates)
            foreach (var strength in strengths.Where(a => learningRate * a <= 1))
            {
                using var model = Train(x, y, penalty, strength, learningRate, checkpoints, (steps, m) =>
                {
                    using var noGrad = no_grad();
                    double loss = Logistic.Loss(m, validationX, validationY).item<float>();
                    if (best is null || loss < best.ValidationLoss) best = new BaselineChoice(learningRate, strength, steps, loss);
                });
            }
        return best ?? throw new ArgumentException("The baselines' grid is empty: give at least one step size η and strength α with η·α ≤ 1.");
    }

    /// <summary>Trains with one strength, calling <paramref name="checkpoint"/> after each step count listed in <paramref name="checkpoints"/>.</summary>
    public static Linear Train(Tensor x, Tensor y, Penalty penalty, double strength, double learningRate, IReadOnlyList<int> checkpoints,
        Action<int, Linear>? checkpoint = null)
    {
        var model = Logistic.ZeroModel((int)x.shape[1]);
        using var optimizer = optim.SGD(model.parameters(), learningRate);
        int last = checkpoints.Max();
        for (int step = 1; step <= last; step++)
        {
            using (var scope = NewDisposeScope())
            {
                optimizer.zero_grad();
                var loss = Logistic.Loss(model, x, y);
                if (penalty == Penalty.SharedDecay) loss = loss + 0.5 * strength * model.weight!.pow(2).sum();
                loss.backward();
                optimizer.step();
                // The L1 term is not differentiable at 0: its proximal step shrinks each weight by η·α and
                // sets the ones it would carry past zero exactly to zero (ISTA), so the solution is sparse.
                if (penalty == Penalty.L1 && strength > 0)
                    using (no_grad())
                    {
                        var w = model.weight!;
                        w.copy_(w.sign() * (w.abs() - learningRate * strength).clamp_min(0));
                    }
            }
            if (checkpoints.Contains(step)) checkpoint?.Invoke(step, model);
        }
        return model;
    }
}
