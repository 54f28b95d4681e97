using System;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Hypergrad.Implicit;

/// <summary>
/// Stochastic AID: minimises q(x) = ½xᵀ(A + ρI)x − xᵀv with an optimizer (∇q = (A + ρI)x − v, one
/// product per step), for at most <see cref="ImplicitSolver.Iterations"/> steps or until the relative
/// residual reaches <see cref="ImplicitSolver.Tolerance"/>. With <see cref="Resample"/> the inner
/// objective is evaluated again before every step, so an objective that draws a new batch on each
/// call gives a stochastic Hessian per step. A non-finite residual stops the solve with an exception.
/// </summary>
public sealed class OptimizerSolve : ImplicitSolver
{
    /// <inheritdoc/>
    public override Method Method => Method.OptimizerSolve;

    /// <summary>
    /// Step size of the default optimizer (SGD with momentum 0.9). Default null: 1/λ̂_max of A + ρI from a few power
    /// iterations (products counted; heavy ball is stable up to 3.8/λ_max), reported in <see cref="HypergradientResult.StepSize"/>.
    /// </summary>
    public double? LearningRate { get; init; }

    /// <summary>Builds the optimizer over the unknown x; default <c>optim.SGD([x], LearningRate, momentum: 0.9)</c>. Any <c>torch.optim</c> optimizer works.</summary>
    public Func<Parameter, optim.Optimizer>? Optimizer { get; init; }

    /// <summary>Evaluate the inner objective again before every step (stochastic Hessian samples). Default false.</summary>
    public bool Resample { get; init; }

    /// <inheritdoc/>
    public override LinearSolution Solve(LinearSystem system, Tensor v, Tensor? initial)
    {
        double? learningRate = Optimizer is null ? LearningRate ?? StepSize.Estimate(this, system, v) : LearningRate;
        using var x = new Parameter(StartAt(v, initial));
        using var optimizer = Optimizer?.Invoke(x) ?? optim.SGD(new[] { x }, learningRate!.Value, momentum: 0.9);
        double vNorm = v.norm().ToDouble();
        double relative = double.NaN;
        int k = 0;
        for (; ; k++)
        {
            if (Resample && k > 0) system.Resample();
            // The optimizer's own state must outlive this iteration: no dispose scope around step().
            using (var gradient = system.Apply(x.detach(), Damping).sub_(v))
            {
                relative = gradient.norm().ToDouble() / vNorm;
                ThrowIfNotFinite(relative, "residual", k);
                if (relative <= Tolerance || k == Iterations) break;
                x.grad = gradient;
            }
            optimizer.step();
        }
        return new LinearSolution(x.detach().clone(), k, relative, relative <= Tolerance, Step: Optimizer is null ? learningRate : null);
    }
}
