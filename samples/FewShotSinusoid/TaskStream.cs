using static TorchSharp.torch;

namespace FewShotSinusoid;

/// <summary>
/// Feeds one task at a time to <c>Run</c>: the training source yields the current task's support set and
/// the validation source its query set, over and over, until <see cref="Advance"/> (called after each outer
/// step) draws the next task. Sources are lazy, so every batch drawn after an outer step is the new task's.
/// </summary>
public sealed class TaskStream(SinusoidTasks tasks, int shots, int queries)
{
    /// <summary>The task the run is adapting to now.</summary>
    public RegressionTask Current { get; private set; } = Draw(tasks, shots, queries);

    /// <summary>Moves on to a new task (and frees the previous one).</summary>
    public void Advance()
    {
        foreach (var t in Tensors(Current)) t.Dispose();
        Current = Draw(tasks, shots, queries);
    }

    // Advance runs inside the run's per-step dispose scope: the task must outlive it.
    static RegressionTask Draw(SinusoidTasks tasks, int shots, int queries)
    {
        var task = tasks.Next(shots, queries);
        foreach (var t in Tensors(task)) t.DetachFromDisposeScope();
        return task;
    }

    static Tensor[] Tensors(RegressionTask task) => new[] { task.SupportX, task.SupportY, task.QueryX, task.QueryY };

    /// <summary>The current task's support set, forever.</summary>
    public IEnumerable<(Tensor x, Tensor y)> Support()
    {
        while (true) yield return (Current.SupportX, Current.SupportY);
    }

    /// <summary>The current task's query set, forever.</summary>
    public IEnumerable<(Tensor x, Tensor y)> Query()
    {
        while (true) yield return (Current.QueryX, Current.QueryY);
    }
}
