using FewShotSinusoid;
using Hypergrad.Implicit;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using static TorchSharp.torch.nn.functional;

namespace Hypergrad.Samples.Tests;

/// <summary>
/// The iMAML meta-gradient the few-shot sample averages, checked against a computation that does not share its
/// solver: a dense LU solve of the same damped system in the sample's own setting.
/// </summary>
public class FewShotSinusoidHypergradientTests
{
    [Fact]
    public void The_damped_conjugate_gradient_meta_gradient_matches_a_dense_solve_in_the_sample_setting()
    {
        // The README run's iMAML: λ = 2, 16 line-searched steps of ≤ 0.1 from θ, CG (5 iterations, tolerance 1e-2) on
        // (∇²L + (λ + ρ)I) x = ∇F with ρ = 22, at a random θ, on a 5-shot and a 10-shot task.
        var settings = new FewShotSettings();
        manual_seed(3);
        var problem = new ImplicitMaml(settings.Proximal);
        problem.BilevelProblem.Settings = problem.BilevelProblem.Settings with
        {
            Iterations = settings.CgIterations, Tolerance = settings.CgTolerance, Rho = settings.Damping,
        };
        using var dense = new ImplicitHypergradient(problem.BilevelProblem.InnerVariables, problem.BilevelProblem.OuterVariables, new Exact { Rho = settings.Damping });
        var adapted = problem.Adapted.parameters().ToArray();
        var tasks = new SinusoidTasks(11);
        foreach (var shots in new[] { 5, 10 })
        {
            using var scope = NewDisposeScope();
            var task = tasks.Next(shots, settings.Queries);
            problem.BilevelProblem.Initialization!.Reset();
            MetaTraining.Adapt(adapted, () => problem.SupportLoss(task.SupportX, task.SupportY), settings.InnerSteps, settings.InnerLearningRate, lineSearch: true);

            using var cg = problem.ComputeHypergradient((task.SupportX, task.SupportY), (task.QueryX, task.QueryY));
            using var reference = dense.Compute(() => problem.SupportLoss(task.SupportX, task.SupportY), () => problem.QueryLoss(task.QueryX, task.QueryY));
            var (cosine, relative) = Compare(Flat(cg), Flat(reference));
            var measured = $"{shots}-shot: cosine {cosine:F5}, relative error {relative:E2}; CG: {cg}";
            // The damping keeps this system positive definite and well conditioned: the sample's budget must meet its tolerance.
            Assert.True(cg.Converged, measured);
            Assert.Empty(cg.Warnings);
            // Residual ≤ 1e-2 and a condition number of a few units bound the error by a few percent.
            Assert.True(cosine > 0.998, measured);
            Assert.True(relative < 0.05, measured);
        }
    }

    static Tensor Flat(HypergradientResult result) => Flat(result.Gradients.Select(g => g.Tensor));

    static Tensor Flat(IEnumerable<Tensor> tensors) => cat(tensors.Select(t => t.flatten()).ToArray());

    static (double Cosine, double Relative) Compare(Tensor value, Tensor reference) =>
        ((value.dot(reference) / (value.norm() * reference.norm())).ToDouble(), ((value - reference).norm() / reference.norm()).ToDouble());
}
