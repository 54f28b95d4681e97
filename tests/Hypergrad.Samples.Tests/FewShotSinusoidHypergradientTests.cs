using FewShotSinusoid;
using Hypergrad.Implicit;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using static TorchSharp.torch.nn.functional;

namespace Hypergrad.Samples.Tests;

/// <summary>
/// The iMAML meta-gradient the few-shot sample averages, checked against computations that do not share its solver:
/// a dense LU solve of the same damped system in the sample's own setting, and central finite differences of
/// θ ↦ F(w*(θ)) with w*(θ) the proximal optimum found by a Newton method written here.
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

    [Fact]
    public void The_implicit_meta_gradient_is_the_derivative_of_the_proximal_optimum()
    {
        // The sample's problem class in float64, with tanh in place of ReLU: a ReLU network's loss has kinks, and Newton's
        // method was seen to stall and cycle near the ReLU network's proximal optimum, where w*(θ) need not be differentiable. λ = 50 keeps the proximal loss strongly convex around θ, so that Newton's method finds w*(θ) to
        // rounding. The library's undamped implicit meta-gradient λ(∇²L + λI)⁻¹∇F at w*(θ) must equal central differences
        // of F(w*(θ ± εd)) along random directions d: a missing λ, a wrong sign, a damping or a missing mixed term would fail.
        const double lambda = 50, epsilon = 1e-4;
        manual_seed(5);
        var problem = new ImplicitMaml(lambda, () => Sequential(Linear(1, 40), Tanh(), Linear(40, 40), Tanh(), Linear(40, 1)));
        problem.Adapted.to(ScalarType.Float64);
        problem.Initialization.to(ScalarType.Float64);
        problem.BilevelProblem.Settings = problem.BilevelProblem.Settings with { Iterations = 500, Tolerance = 1e-12, Rho = 0 };
        var task = new SinusoidTasks(7).Next(10, 10);
        var (sx, sy, qx, qy) = (task.SupportX.to(ScalarType.Float64), task.SupportY.to(ScalarType.Float64), task.QueryX.to(ScalarType.Float64), task.QueryY.to(ScalarType.Float64));
        var adapted = problem.Adapted.parameters().ToArray();
        var theta = problem.Initialization.parameters().ToArray();
        Func<Tensor> inner = () => problem.SupportLoss(sx, sy);

        double QueryAtOptimum()
        {
            problem.BilevelProblem.Initialization!.Reset();
            NewtonSolve(adapted, inner);
            using var noGrad = no_grad();
            return problem.QueryLoss(qx, qy).ToDouble();
        }

        QueryAtOptimum();
        using var result = problem.ComputeHypergradient((sx, sy), (qx, qy));
        Assert.True(result.Converged, result.ToString());
        var gradient = Flat(result);

        var start = theta.Select(t => t.detach().clone()).ToArray();
        for (int d = 0; d < 3; d++)
        {
            var direction = theta.Select(t => randn_like(t)).ToArray();
            double norm = Flat(direction).norm().ToDouble();   // a unit direction: ε is the length of the step in θ
            direction = direction.Select(t => t / norm).ToArray();
            double Shifted(double by)
            {
                using (no_grad())
                    for (int i = 0; i < theta.Length; i++) theta[i].copy_(start[i] + by * direction[i]);
                return QueryAtOptimum();
            }
            double finiteDifference = (Shifted(epsilon) - Shifted(-epsilon)) / (2 * epsilon);
            double predicted = gradient.dot(Flat(direction)).ToDouble();
            Assert.True(Math.Abs(predicted - finiteDifference) <= 1e-5 * Math.Abs(finiteDifference) + 1e-9,
                $"direction {d}: implicit {predicted:G10}, finite differences {finiteDifference:G10}");
        }
    }

    /// <summary>
    /// Newton's method with its linear systems solved by CG to 1e-14 (written here, not the library's solvers) and the
    /// step halved until the loss decreases, until the gradient is at rounding level; the proximal loss must be
    /// strongly convex along the way.
    /// </summary>
    static void NewtonSolve(Tensor[] w, Func<Tensor> loss)
    {
        var norms = new List<double>();
        for (int iteration = 0; iteration < 30; iteration++)
        {
            using var scope = NewDisposeScope();
            var value = loss();
            var gradients = autograd.grad(new[] { value }, w, retain_graph: true, create_graph: true);
            var g = Flat(gradients);
            norms.Add(g.norm().ToDouble());
            if (norms[^1] < 1e-12) return;
            Tensor Hessian(Tensor v) => Flat(autograd.grad(new[] { g.dot(v) }, w, retain_graph: true));
            // CG on H s = g (its vectors detached: the products must be H·p, not also differentiate p).
            var s = zeros_like(g).detach();
            var r = g.detach().clone();
            var p = r.clone();
            double rr = r.dot(r).ToDouble(), gg = rr;
            for (int k = 0; k < 400 && rr > 1e-28 * gg; k++)
            {
                var hp = Hessian(p);
                double curvature = p.dot(hp).ToDouble();
                Assert.True(curvature > 0, $"Newton iteration {iteration}: the proximal loss is not convex here (pᵀHp = {curvature:G3})");
                double alpha = rr / curvature;
                s = s + alpha * p;
                r = r - alpha * hp;
                double next = r.dot(r).ToDouble();
                p = r + (next / rr) * p;
                rr = next;
            }
            using var noGrad = no_grad();
            var from = w.Select(t => t.clone()).ToArray();
            double start = value.ToDouble();
            for (double step = 1; step > 1e-6; step /= 2)
            {
                int offset = 0;
                for (int i = 0; i < w.Length; i++)
                {
                    w[i].copy_(from[i] - step * s.narrow(0, offset, w[i].numel()).view(w[i].shape));
                    offset += (int)w[i].numel();
                }
                if (loss().ToDouble() <= start) break;
            }
        }
        Assert.Fail($"Newton's method did not converge: ‖∇g‖ = {string.Join(", ", norms.Select(n => n.ToString("E1")))}");
    }

    static Tensor Flat(HypergradientResult result) => Flat(result.Gradients.Select(g => g.Tensor));

    static Tensor Flat(IEnumerable<Tensor> tensors) => cat(tensors.Select(t => t.flatten()).ToArray());

    static (double Cosine, double Relative) Compare(Tensor value, Tensor reference) =>
        ((value.dot(reference) / (value.norm() * reference.norm())).ToDouble(), ((value - reference).norm() / reference.norm()).ToDouble());
}
