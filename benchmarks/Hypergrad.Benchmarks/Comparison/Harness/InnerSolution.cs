using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Hypergrad.Benchmarks.Comparison;

/// <summary>
/// The inner problem solved again at the run's current outer variables, to a tight gradient tolerance, so that every
/// method is measured on the same quantity: the value function Φ(λ) = F(w*(λ), λ) (benchopt's bilevel benchmark does
/// the same). A method's own inner iterate w can be far from w*(λ), and the Hessian-free methods move it along ∇_w F as
/// well, so the validation loss at w is partly fitted to the validation set; at w*(λ) it is not.
/// <para>
/// Solver: L-BFGS (history <see cref="History"/>) with Armijo backtracking on the full training objective in float64 (in
/// float32 the line search runs out of digits before the gradient reaches the tolerance), warm-started from the previous measurement's w*(λ) (the outer variables move little
/// between measurements) and, the first time, from the method's w. Neither the method's variables nor their gradients
/// are touched: w is put back bit for bit after the measurement.
/// </para>
/// </summary>
/// <param name="inner">The inner variables (the model's parameters).</param>
/// <param name="trainingLoss">The inner objective on the whole training set, in float64, of the inner variables flattened
/// (in <paramref name="inner"/>'s order) at the current outer variables, which it treats as constants (detached); it
/// counts no evaluations.</param>
public sealed class InnerSolution(IReadOnlyList<Parameter> inner, Func<Tensor, Tensor> trainingLoss) : IDisposable
{
    /// <summary>The solve stops when the gradient's largest entry is at most this.</summary>
    public const double GradientTolerance = 1e-5;

    /// <summary>L-BFGS iterations at most per measurement.</summary>
    public const int MaxIterations = 1000;

    /// <summary>Curvature pairs L-BFGS keeps.</summary>
    public const int History = 10;

    Tensor? solution;

    /// <summary>The largest final gradient entry of any solve so far (≤ <see cref="GradientTolerance"/> when all converged).</summary>
    public double WorstGradient { get; private set; }

    /// <summary>L-BFGS iterations of all solves so far.</summary>
    public int Iterations { get; private set; }

    /// <summary>Solves for w*(λ), runs <paramref name="evaluate"/> with the inner variables at w*(λ), and puts the method's w back.</summary>
    public TResult At<TResult>(Func<TResult> evaluate)
    {
        using var scope = NewDisposeScope();
        var iterate = Flat();
        var start = solution ?? iterate;
        var (solved, gradient) = Solve(start);
        WorstGradient = Math.Max(WorstGradient, gradient);
        solution?.Dispose();   // the solve started from a copy of it
        solution = solved.DetachFromDisposeScope();
        Load(solution);
        try
        {
            return evaluate();
        }
        finally
        {
            Load(iterate);
        }
    }

    (Tensor Solution, double Gradient) Solve(Tensor start)
    {
        // x, g and the curvature pairs live across iterations and are disposed when replaced; everything else an
        // iteration makes goes with its own dispose scope, so a long solve does not accumulate tensors.
        var x = start.clone();
        var (f, g) = ValueAndGradient(x);
        var pairs = new List<(Tensor S, Tensor Y, double Rho)>();
        for (int k = 0; k < MaxIterations && Largest(g) > GradientTolerance; k++)
        {
            using var iteration = NewDisposeScope();
            Iterations++;
            var d = TwoLoop(g, pairs).neg_();
            double slope = g.dot(d).ToDouble();
            if (slope >= 0)
            {
                foreach (var (oldS, oldY, _) in pairs) { oldS.Dispose(); oldY.Dispose(); }
                pairs.Clear();   // not a descent direction (float round-off): restart from the gradient
                d = g.neg();
                slope = -g.dot(g).ToDouble();
            }
            // First step of a restart: the gradient step of length at most 1; after that the quasi-Newton step 1. The
            // trial's gradient comes with its value: the first trial is almost always accepted.
            double t = pairs.Count == 0 ? Math.Min(1.0, 1.0 / Math.Max(d.norm().ToDouble(), 1e-12)) : 1.0;
            Tensor next = x, gNext = g;
            double fNext = f;
            bool accepted = false;
            for (int halvings = 0; halvings < 40 && !accepted; halvings++)
            {
                next = AddScaled(x, d, t);
                (fNext, gNext) = ValueAndGradient(next);
                accepted = fNext <= f + 1e-4 * t * slope;
                if (!accepted) t /= 2;
            }
            if (!accepted) break;   // no decrease left at this precision: stop; the final gradient says how far it got
            var s = next.add(x, MinusOne);
            var y = gNext.add(g, MinusOne);
            double sy = s.dot(y).ToDouble();
            if (sy > 1e-12)
            {
                if (pairs.Count == History)
                {
                    pairs[0].S.Dispose();
                    pairs[0].Y.Dispose();
                    pairs.RemoveAt(0);
                }
                pairs.Add((s.DetachFromDisposeScope(), y.DetachFromDisposeScope(), 1 / sy));
            }
            x.Dispose();
            g.Dispose();
            (x, f, g) = (next.DetachFromDisposeScope(), fNext, gNext.DetachFromDisposeScope());
        }
        foreach (var (oldS, oldY, _) in pairs) { oldS.Dispose(); oldY.Dispose(); }
        double largest = Largest(g);
        g.Dispose();
        return (x, largest);
    }

    static Tensor TwoLoop(Tensor g, List<(Tensor S, Tensor Y, double Rho)> pairs)
    {
        var q = g.clone();
        var alphas = new double[pairs.Count];
        for (int i = pairs.Count - 1; i >= 0; i--)
        {
            alphas[i] = pairs[i].Rho * pairs[i].S.dot(q).ToDouble();
            AddScaled_(q, pairs[i].Y, -alphas[i]);
        }
        if (pairs.Count > 0)
        {
            var (s, y, _) = pairs[^1];
            using var gamma = (s.dot(y).ToDouble() / y.dot(y).ToDouble()).ToScalar();
            q.mul_(gamma);
        }
        for (int i = 0; i < pairs.Count; i++)
        {
            double beta = pairs[i].Rho * pairs[i].Y.dot(q).ToDouble();
            AddScaled_(q, pairs[i].S, alphas[i] - beta);
        }
        return q;
    }

    // Numbers reach TorchSharp as Scalars kept alive for the call: a temporary one can be freed by the GC while libtorch
    // reads it (docs/reliability.md), and a solve makes thousands of these calls.
    static readonly Scalar MinusOne = (-1).ToScalar();

    static Tensor AddScaled(Tensor x, Tensor d, double alpha)
    {
        using var a = alpha.ToScalar();
        return x.add(d, a);
    }

    static void AddScaled_(Tensor x, Tensor d, double alpha)
    {
        using var a = alpha.ToScalar();
        x.add_(d, a);
    }

    (double Value, Tensor Gradient) ValueAndGradient(Tensor x)
    {
        using var enable = enable_grad();
        var leaf = x.detach().requires_grad_();
        var loss = trainingLoss(leaf);
        return (loss.ToDouble(), autograd.grad([loss], [leaf])[0].detach());
    }

    static double Largest(Tensor g)
    {
        using var magnitude = g.abs();
        using var largest = magnitude.max();
        return largest.ToDouble();
    }

    Tensor Flat()
    {
        using var noGrad = no_grad();
        return cat(inner.Select(p => p.detach().reshape(-1)).ToArray()).to_type(ScalarType.Float64);
    }

    void Load(Tensor x)
    {
        using var noGrad = no_grad();
        long offset = 0;
        foreach (var p in inner)
        {
            p.copy_(x.narrow(0, offset, p.numel()).view_as(p));
            offset += p.numel();
        }
    }

    /// <inheritdoc/>
    public void Dispose() => solution?.Dispose();
}
