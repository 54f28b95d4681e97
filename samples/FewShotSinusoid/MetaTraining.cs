using Hypergrad;
using Hypergrad.Optimizers;
using Hypergrad.Samples;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn.functional;

namespace FewShotSinusoid;

/// <summary>What a meta-training run measured.</summary>
/// <param name="QueryLosses">Mean query loss after adaptation over each meta-batch's tasks, one per meta-step.</param>
/// <param name="Solves">The certificates of the per-task meta-gradients (CG solves for iMAML, unrolls for MAML).</param>
public sealed record MetaTrainingRun(IReadOnlyList<double> QueryLosses, SolverStatistics Solves, TimeSpan Elapsed);

/// <summary>
/// The meta-training loop of both methods: every meta-step draws a meta-batch of tasks, computes each task's
/// meta-gradient with the problem's generated <c>ComputeHypergradient</c> (which adds it to θ's <c>.grad</c>),
/// averages them and takes one Adam step on θ.
/// </summary>
/// <remarks>
/// <c>Run</c> takes one outer step per task (one validation batch per outer step), so it cannot average a
/// meta-batch; this loop does it with the runtime's public API and keeps every task's certificate.
/// </remarks>
public static class MetaTraining
{
    /// <summary>
    /// iMAML: per task, gradient steps with a line search on the proximal support loss from θ (their final relative
    /// stationarity ‖∇g(w)‖/‖∇g(θ)‖ is recorded), then the damped CG meta-gradient at the adapted network.
    /// </summary>
    public static MetaTrainingRun Implicit(ImplicitMaml problem, FewShotSettings settings, int shots, TextWriter log)
    {
        problem.BilevelProblem.Settings = problem.BilevelProblem.Settings with
        {
            Iterations = settings.CgIterations, Tolerance = settings.CgTolerance, Rho = settings.Damping,
        };
        var adapted = problem.Adapted.parameters().ToArray();
        var run = Loop("iMAML", problem.BilevelProblem.Initialization!, problem.Initialization.parameters().ToArray(), settings, shots, log, (task, statistics) =>
        {
            Func<Tensor> support = () => problem.SupportLoss(task.SupportX, task.SupportY);
            double start = GradientNorm(support, adapted);
            Adapt(adapted, support, settings.InnerSteps, settings.InnerLearningRate, lineSearch: true);
            statistics.AddStationarity(GradientNorm(support, adapted) / start);
            return problem.ComputeHypergradient((task.SupportX, task.SupportY), (task.QueryX, task.QueryY));
        }, task => problem.QueryLoss(task.QueryX, task.QueryY));
        return run;
    }

    /// <summary>MAML: per task, the meta-gradient through the adaptation steps from θ (which leave the adapted network at their end).</summary>
    public static MetaTrainingRun Unrolled(Maml problem, FewShotSettings settings, int shots, TextWriter log)
    {
        problem.BilevelProblem.Settings = problem.BilevelProblem.Settings with { UnrollSteps = settings.MamlSteps };
        problem.BilevelProblem.InnerOptimizer = new DifferentiableSgd(settings.MamlLearningRate);
        return Loop("MAML", problem.BilevelProblem.Initialization!, problem.Initialization.parameters().ToArray(), settings, shots, log,
            (task, _) => problem.ComputeHypergradient((task.SupportX, task.SupportY), (task.QueryX, task.QueryY)),
            task => problem.QueryLoss(task.QueryX, task.QueryY));
    }

    /// <summary>
    /// <paramref name="steps"/> gradient steps on <paramref name="loss"/> over <paramref name="parameters"/> only (a proximal
    /// term's gradient must not reach θ's <c>.grad</c>). With <paramref name="lineSearch"/>, each step starts from the
    /// previous step's accepted size (at first <paramref name="learningRate"/>) and halves it until the loss decreases by
    /// at least half the first-order prediction (Armijo): on this network a fixed step of 0.1 diverges on some tasks.
    /// Returns the step sizes taken; calls <paramref name="afterStep"/> with the number of steps taken after each.
    /// </summary>
    public static double[] Adapt(Tensor[] parameters, Func<Tensor> loss, int steps, double learningRate, bool lineSearch = false, Action<int>? afterStep = null)
    {
        double size = learningRate;
        var sizes = new double[steps];
        for (int step = 0; step < steps; step++)
        {
            sizes[step] = size;
            afterStep?.Invoke(step);
            using var scope = NewDisposeScope();
            var value = loss();
            var gradients = autograd.grad(new[] { value }, parameters);
            using var noGrad = no_grad();
            if (!lineSearch)
            {
                for (int i = 0; i < parameters.Length; i++) parameters[i].add_(gradients[i], alpha: -size);
                continue;
            }
            double start = value.ToDouble(), squaredNorm = gradients.Sum(g => g.pow(2).sum().ToDouble());
            var from = parameters.Select(p => p.clone()).ToArray();
            for (int halvings = 0; ; halvings++)
            {
                for (int i = 0; i < parameters.Length; i++) parameters[i].copy_(from[i]).add_(gradients[i], alpha: -size);
                if (loss().ToDouble() <= start - 0.5 * size * squaredNorm || halvings == MaxHalvings) break;
                size /= 2;
            }
            sizes[step] = size;
        }
        afterStep?.Invoke(steps);
        return sizes;
    }

    // 2⁻²⁰ of the initial step: a step that small changes the loss by less than float32 resolution.
    const int MaxHalvings = 20;

    /// <summary>‖∇loss‖ over <paramref name="parameters"/>.</summary>
    public static double GradientNorm(Func<Tensor> loss, Tensor[] parameters)
    {
        using var scope = NewDisposeScope();
        return Math.Sqrt(autograd.grad(new[] { loss() }, parameters).Sum(g => g.pow(2).sum().ToDouble()));
    }

    static MetaTrainingRun Loop(string name, Hypergrad.Solving.Initialization initialization, Tensor[] theta, FewShotSettings settings, int shots,
        TextWriter log, Func<RegressionTask, SolverStatistics, HypergradientResult> metaGradient, Func<RegressionTask, Tensor> queryLoss)
    {
        var tasks = new SinusoidTasks(settings.Seed + 1);
        using var adam = optim.Adam(theta.Select(t => (TorchSharp.Modules.Parameter)t), settings.MetaLearningRate);
        var statistics = new SolverStatistics();
        var losses = new List<double>();
        var bar = new ConsoleProgressBar($"{name} {shots}-shot", settings.OuterSteps, log == Console.Out ? null : log);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int metaStep = 0; metaStep < settings.OuterSteps; metaStep++)
        {
            adam.zero_grad();
            double loss = 0;
            for (int b = 0; b < settings.TasksPerMetaBatch; b++)
            {
                using var scope = NewDisposeScope();
                var task = tasks.Next(shots, settings.Queries);
                initialization.Reset();
                using var result = metaGradient(task, statistics);
                statistics.Add(result);
                using (no_grad()) loss += queryLoss(task).ToDouble();
            }
            statistics.EndMetaStep();
            using (no_grad())
                foreach (var t in theta)
                {
                    using var grad = t.grad!;
                    grad.div_(settings.TasksPerMetaBatch);
                }
            adam.step();
            losses.Add(loss / settings.TasksPerMetaBatch);
            bar.Report(metaStep + 1, $"query loss {losses[^1]:F3}");
        }
        return new MetaTrainingRun(losses, statistics, clock.Elapsed);
    }
}
