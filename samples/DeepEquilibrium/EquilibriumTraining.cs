using Hypergrad;
using Hypergrad.Solving;
using static TorchSharp.torch;
using static TorchSharp.torch.nn.functional;

namespace DeepEquilibrium;

/// <summary>
/// Training an <see cref="EquilibriumNetwork"/> by implicit differentiation through its fixed point, as an equilibrium
/// problem of the DSL: the equilibrium z* of each batch is the [Inner] state, the network's parameters θ are the
/// [Outer] variables, the layer f is the [FixedPointMap] and the batch's cross-entropy at z* the [OuterObjective].
/// With J = ∂f/∂z at z*,
/// <code>
/// dL/dθ = ∂L/∂θ + (∂f/∂θ)ᵀ x,   (I − Jᵀ) x = ∂L/∂z*
/// </code>
/// which the runtime solves matrix-free (one vector–Jacobian product of f per iteration). The forward solve builds no
/// graph and the backward pass differentiates one application of f, so memory does not grow with the iterations.
/// Declared once here; each subclass below only chooses how (I − Jᵀ) x = v is solved, and the generator writes its
/// <c>ComputeHypergradient</c> and <c>Run</c>.
/// </summary>
/// <param name="network">The network; its parameters are the outer variables (build it in its final dtype first).</param>
/// <param name="batchSize">Rows per batch: the state z is one [batch, hidden] tensor, found again for every batch.</param>
public abstract class EquilibriumTraining(EquilibriumNetwork network, int batchSize)
{
    /// <summary>Forward solve: at most this many iterations of f…</summary>
    public const int ForwardIterations = 100;
    /// <summary>…or until ‖f(z) − z‖/‖f(z)‖ ≤ this.</summary>
    public const double ForwardTolerance = 1e-5;
    /// <summary>Backward solve: at most this many iterations…</summary>
    public const int BackwardIterations = 100;
    /// <summary>…or until its relative residual is ≤ this.</summary>
    public const double BackwardTolerance = 1e-5;

    /// <summary>The equilibrium state z* of the current batch, [batch, hidden].</summary>
    [Inner] public Tensor State { get; } = zeros(batchSize, network.Hidden, dtype: network.parameters().First().dtype);

    /// <summary>The trained network θ.</summary>
    [Outer] public EquilibriumNetwork Network { get; } = network;

    /// <summary>
    /// f(·; θ, x) for one batch: W and U x + b do not change while z iterates, so they are computed once per batch.
    /// </summary>
    [FixedPointMap]
    public Func<Tensor, Tensor> Layer(Tensor x, Tensor y)
    {
        var weight = Network.RecurrentWeight();
        var injected = Network.Inject(x);
        return z => EquilibriumNetwork.Layer(z, weight, injected);
    }

    /// <summary>The batch's cross-entropy at its equilibrium.</summary>
    [OuterObjective]
    public Tensor Loss(Tensor x, Tensor y) => cross_entropy(Network.Logits(State), y);
}

/// <summary>The backward system by fixed-point iteration x ← Jᵀx + v: one product per iteration; converges because f is a contraction.</summary>
[Hypergradient(Method.FixedPoint, Iterations = BackwardIterations, Tolerance = BackwardTolerance,
    EquilibriumIterations = ForwardIterations, EquilibriumTolerance = ForwardTolerance)]
public partial class FixedPointTraining(EquilibriumNetwork network, int batchSize) : EquilibriumTraining(network, batchSize);

/// <summary>The backward system by CG on the normal equations (I − J)(I − Jᵀ) x = (I − J) v: two products per iteration.</summary>
[Hypergradient(Method.ConjugateGradientNormal, Iterations = BackwardIterations, Tolerance = BackwardTolerance,
    EquilibriumIterations = ForwardIterations, EquilibriumTolerance = ForwardTolerance)]
public partial class NormalEquationsTraining(EquilibriumNetwork network, int batchSize) : EquilibriumTraining(network, batchSize);
