using Hypergrad;
using Hypergrad.Implicit;
using Hypergrad.Parameters;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn.functional;

namespace DeepEquilibrium;

/// <summary>What one training step did.</summary>
/// <param name="Loss">Cross-entropy of the batch at its equilibrium.</param>
/// <param name="Forward">The forward fixed point: iterations and residual ‖f(z*) − z*‖/‖z*‖.</param>
/// <param name="BackwardIterations">Iterations of the linear solve (I − Jᵀ) x = ∇_z L.</param>
/// <param name="BackwardResidual">Its final relative residual.</param>
public sealed record EquilibriumStep(double Loss, int ForwardIterations, double ForwardResidual, int BackwardIterations, double BackwardResidual);

/// <summary>
/// Trains an <see cref="EquilibriumNetwork"/> by implicit differentiation through its fixed point, with
/// Hypergrad's runtime: the equilibrium z* is the inner variable, the network's parameters θ the outer
/// ones, and the layer f is the fixed-point map. With J = ∂f/∂z at z*,
/// <code>
/// dL/dθ = ∂L/∂θ + (∂f/∂θ)ᵀ x,   (I − Jᵀ) x = ∂L/∂z*
/// </code>
/// which <see cref="ImplicitHypergradient.ComputeWithFixedPointMap"/> solves matrix-free (one
/// vector–Jacobian product of f per iteration). Memory does not grow with the number of forward
/// iterations: the forward solve builds no graph, and the backward pass differentiates one application of f.
/// </summary>
public sealed class ImplicitTraining : IDisposable
{
    readonly EquilibriumNetwork network;
    readonly Tensor equilibrium;
    readonly ParameterSet inner, outer;
    readonly ImplicitHypergradient hypergradient;
    readonly int maxForwardIterations;
    readonly double forwardTolerance;

    /// <summary>Prepares training for batches of exactly <paramref name="batchSize"/> rows.</summary>
    /// <param name="network">The network; its parameters are the outer variables (build it in its final dtype first).</param>
    /// <param name="batchSize">Rows per batch: the inner variable z* is one [batch, hidden] tensor, reused for every batch.</param>
    /// <param name="backward">How (I − Jᵀ) x = v is solved, e.g. <c>new FixedPoint { Iterations = 100 }</c>: it converges because f is a contraction.</param>
    /// <param name="maxForwardIterations">Cap on the forward fixed-point iterations.</param>
    /// <param name="forwardTolerance">Forward stopping rule on ‖f(z) − z‖/‖z‖.</param>
    public ImplicitTraining(EquilibriumNetwork network, int batchSize, ImplicitSolver backward, int maxForwardIterations, double forwardTolerance)
    {
        this.network = network;
        this.maxForwardIterations = maxForwardIterations;
        this.forwardTolerance = forwardTolerance;
        var dtype = network.parameters().First().dtype;
        equilibrium = zeros(batchSize, network.Hidden, dtype: dtype);
        inner = new ParameterSet(("Equilibrium", equilibrium));
        outer = new ParameterSet(("Network", network));
        hypergradient = new ImplicitHypergradient(inner, outer, backward);
    }

    /// <summary>
    /// dL/dθ for one batch: solves the equilibrium (no graph), then differentiates through it implicitly.
    /// With <paramref name="accumulateGrad"/> the gradient is added to the parameters' <c>.grad</c> for any optimizer.
    /// </summary>
    public (HypergradientResult Gradient, Equilibrium Forward) Gradient(Tensor inputs, Tensor labels, bool accumulateGrad)
    {
        if (inputs.shape[0] != equilibrium.shape[0])
            throw new ArgumentException(
                $"This training was prepared for batches of {equilibrium.shape[0]} rows but got {inputs.shape[0]}; draw batches of one size (BatchSource.Shuffled drops the short last batch).", nameof(inputs));
        var forward = network.Solve(inputs, maxForwardIterations, forwardTolerance);
        using (no_grad()) equilibrium.copy_(forward.State);
        var shape = equilibrium.shape;
        var gradient = hypergradient.ComputeWithFixedPointMap(
            // f(z) at the substituted parameters; z arrives flat, laid out like the inner set.
            z => EquilibriumNetwork.Layer(z.view(shape), network.RecurrentWeight(), network.Inject(inputs)).reshape(-1),
            // The loss reads z* through the inner variable, which the runtime substitutes.
            () => cross_entropy(network.Logits(equilibrium), labels),
            accumulateGrad);
        return (gradient, forward);
    }

    /// <summary>One optimizer step on one batch.</summary>
    public EquilibriumStep Step(Tensor inputs, Tensor labels, optim.Optimizer optimizer)
    {
        using var scope = NewDisposeScope();
        optimizer.zero_grad();
        var (gradient, forward) = Gradient(inputs, labels, accumulateGrad: true);
        using (gradient)
        {
            double loss;
            using (no_grad()) loss = cross_entropy(network.Logits(forward.State), labels).ToDouble();
            optimizer.step();
            return new EquilibriumStep(loss, forward.Iterations, forward.RelativeResidual, gradient.Iterations, gradient.RelativeResidual);
        }
    }

    /// <summary>Releases the parameter sets and the solver's state (the network keeps its parameters).</summary>
    public void Dispose()
    {
        hypergradient.Dispose();
        inner.Dispose();
        outer.Dispose();
        equilibrium.Dispose();
    }
}
