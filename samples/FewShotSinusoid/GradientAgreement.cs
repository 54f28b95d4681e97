using Hypergrad;
using Hypergrad.Implicit;
using Hypergrad.Optimizers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FewShotSinusoid;

/// <summary>
/// How close iMAML's meta-gradient (damped CG, few iterations, at the end of a few adaptation steps) is to the
/// numbers it stands for, measured by cosine on tasks after meta-training:
/// the dense solve of the same damped system (is CG's few iterations enough?), the exact undamped implicit gradient
/// at the same point (what the damping changes), and the derivative of the adaptation actually run, by reverse mode
/// through its steps (is the adapted network close enough to the proximal optimum for the implicit formula to hold?).
/// </summary>
public sealed record GradientAgreement(double CgVsDenseDamped, double CgVsUndamped, double CgVsUnrolled, double UndampedVsUnrolled,
    double InnerStationarity, double ReplayMismatch, int Tasks)
{
    /// <summary>One line for the console and README.</summary>
    public override string ToString() =>
        $"cosine of iMAML's meta-gradient (CG) with: the dense solve of its damped system {CgVsDenseDamped:F3}, the undamped implicit gradient {CgVsUndamped:F3}, " +
        $"the derivative through its adaptation steps {CgVsUnrolled:F3} (undamped implicit vs that derivative: {UndampedVsUnrolled:F3}); " +
        $"the adaptation ends at ‖∇g‖/‖∇g(θ)‖ = {InnerStationarity:F3} (mean over {Tasks} tasks; the unroll's final iterate is within {ReplayMismatch:E1} (relative) of the adapted network)";

    /// <summary>Measures on <paramref name="tasks"/>, from the initialization <paramref name="theta"/>.</summary>
    public static GradientAgreement Measure(Sequential theta, IReadOnlyList<RegressionTask> tasks, FewShotSettings settings)
    {
        var imaml = new ImplicitMaml(settings.Proximal);
        imaml.BilevelProblem.Settings = imaml.BilevelProblem.Settings with
        {
            Iterations = settings.CgIterations, Tolerance = settings.CgTolerance, Rho = settings.Damping,
        };
        var unrolled = new UnrolledImaml(settings.Proximal);
        unrolled.BilevelProblem.Settings = unrolled.BilevelProblem.Settings with { UnrollSteps = settings.InnerSteps };
        // The unroll replays the step sizes the line search accepted (held constant, as the line search is not differentiated).
        double[] sizes = [];
        int taken = 0;
        unrolled.BilevelProblem.InnerOptimizer = new DifferentiableSgd(() => tensor(sizes[taken++ % sizes.Length]));
        SinusoidNetwork.CopyInto(theta, imaml.Initialization);
        SinusoidNetwork.CopyInto(theta, unrolled.Initialization);
        var problem = imaml.BilevelProblem;
        using var denseDamped = new ImplicitHypergradient(problem.InnerVariables, problem.OuterVariables, new Exact { Rho = settings.Damping });
        using var undamped = new ImplicitHypergradient(problem.InnerVariables, problem.OuterVariables, new Exact());
        var adapted = imaml.Adapted.parameters().ToArray();

        var sums = new double[5];
        double mismatch = 0;
        foreach (var task in tasks)
        {
            using var scope = NewDisposeScope();
            problem.Initialization!.Reset();
            Func<Tensor> inner = () => imaml.SupportLoss(task.SupportX, task.SupportY), outer = () => imaml.QueryLoss(task.QueryX, task.QueryY);
            double start = MetaTraining.GradientNorm(inner, adapted);
            sizes = MetaTraining.Adapt(adapted, inner, settings.InnerSteps, settings.InnerLearningRate, lineSearch: true);
            taken = 0;
            sums[4] += MetaTraining.GradientNorm(inner, adapted) / start;
            using var cg = imaml.ComputeHypergradient((task.SupportX, task.SupportY), (task.QueryX, task.QueryY));
            using var dense = denseDamped.Compute(inner, outer);
            using var exact = undamped.Compute(inner, outer);
            foreach (var p in imaml.Initialization.parameters()) p.grad?.zero_();

            unrolled.BilevelProblem.Initialization!.Reset();
            foreach (var p in unrolled.Initialization.parameters()) p.grad?.zero_();
            using var through = unrolled.ComputeHypergradient((task.SupportX, task.SupportY), (task.QueryX, task.QueryY));
            var reference = Flat(unrolled.Initialization.parameters().Select(p => p.grad!));
            var replayed = Flat(unrolled.Adapted.parameters());
            var adaptedFlat = Flat(adapted);
            mismatch = Math.Max(mismatch, ((replayed - adaptedFlat).norm() / adaptedFlat.norm()).ToDouble());

            sums[0] += Cosine(Flat(cg), Flat(dense));
            sums[1] += Cosine(Flat(cg), Flat(exact));
            sums[2] += Cosine(Flat(cg), reference);
            sums[3] += Cosine(Flat(exact), reference);
        }
        var m = sums.Select(s => s / tasks.Count).ToArray();
        return new GradientAgreement(m[0], m[1], m[2], m[3], m[4], mismatch, tasks.Count);
    }

    static Tensor Flat(HypergradientResult result) => Flat(result.Gradients.Select(g => g.Tensor));

    static Tensor Flat(IEnumerable<Tensor> tensors) => cat(tensors.Select(t => t.flatten()).ToArray());

    static double Cosine(Tensor a, Tensor b) => (a.dot(b) / (a.norm() * b.norm())).ToDouble();
}
