using Hypergrad.Implicit;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace DeepEquilibrium;

/// <summary>
/// A deep equilibrium model (Bai, Kolter and Koltun 2019) on flattened images: one weight-tied layer
/// applied "infinitely often", i.e. its fixed point, then a linear read-out.
/// <code>
/// z* = f(z*, x) = tanh(W z* + U x + b),   logits = H z* + c
/// </code>
/// W = γ·V / max(1, ‖V‖₂) with γ &lt; 1: tanh is 1-Lipschitz, so f is a γ-contraction in z whatever V is
/// trained to, and the fixed point exists, is unique and is found by plain iteration from any start.
/// </summary>
public sealed class EquilibriumNetwork : Module<Tensor, Tensor>
{
    readonly Parameter recurrence;
    readonly Linear injection;
    readonly Linear head;

    /// <summary>A network with <paramref name="hidden"/> equilibrium units, initialised from the current torch seed.</summary>
    /// <param name="features">Input size (784 for flattened 28×28 images).</param>
    /// <param name="hidden">Size of the equilibrium state z.</param>
    /// <param name="classes">Number of classes.</param>
    /// <param name="contraction">γ ∈ (0, 1): the bound on f's Lipschitz constant in z.</param>
    public EquilibriumNetwork(int features, int hidden, int classes, double contraction) : base(nameof(EquilibriumNetwork))
    {
        if (!(contraction > 0 && contraction < 1))
            throw new ArgumentOutOfRangeException(nameof(contraction), contraction, "The contraction γ must lie in (0, 1) for the fixed point to exist and be unique.");
        Contraction = contraction;
        Hidden = hidden;
        recurrence = new Parameter(randn(hidden, hidden) / Math.Sqrt(hidden));
        injection = Linear(features, hidden);
        head = Linear(hidden, classes);
        RegisterComponents();
    }

    /// <summary>γ: the Lipschitz bound of f in z.</summary>
    public double Contraction { get; }

    /// <summary>Size of the equilibrium state.</summary>
    public int Hidden { get; }

    /// <summary>W = γ·V / max(1, ‖V‖₂): differentiable in V (through its largest singular value).</summary>
    public Tensor RecurrentWeight()
    {
        using var scope = NewDisposeScope();
        var spectralNorm = linalg.matrix_norm(recurrence, 2.0);
        return (Contraction * recurrence / spectralNorm.clamp_min(1.0)).MoveToOuterDisposeScope();
    }

    /// <summary>U x + b, the input injection: computed once per batch, it does not change while z iterates.</summary>
    public Tensor Inject(Tensor inputs) => injection.call(inputs);

    /// <summary>One application of the layer, f(z) = tanh(W z + U x + b), for a batch of states [batch, hidden].</summary>
    public static Tensor Layer(Tensor state, Tensor recurrentWeight, Tensor injected) =>
        tanh(state.matmul(recurrentWeight.t()) + injected);

    /// <summary>The read-out logits H z + c.</summary>
    public Tensor Logits(Tensor state) => head.call(state);

    /// <summary>
    /// The forward pass of a DEQ: iterates z ← f(z) from z = 0 until ‖f(z) − z‖ ≤ tolerance·‖f(z)‖, without building a
    /// graph (the runtime's <see cref="Equilibrium.Find"/>, as training does; the gradient comes from the implicit function
    /// theorem, not from these iterations).
    /// </summary>
    public Equilibrium Solve(Tensor inputs, int maxIterations, double tolerance)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var weight = RecurrentWeight();
        var injected = Inject(inputs);
        var found = Equilibrium.Find(z => Layer(z, weight, injected), zeros(inputs.shape[0], Hidden, dtype: injected.dtype),
            maxIterations, tolerance, "the equilibrium layer");
        return found with { State = found.State.MoveToOuterDisposeScope() };
    }

    /// <summary>
    /// <paramref name="iterations"/> applications of f from z = 0, differentiable: a finite-depth
    /// weight-tied network (the unrolled baseline; one iteration is a one-hidden-layer MLP).
    /// </summary>
    public Tensor Unroll(Tensor inputs, int iterations)
    {
        var weight = RecurrentWeight();
        var injected = Inject(inputs);
        var state = zeros(inputs.shape[0], Hidden, dtype: injected.dtype);
        for (int k = 0; k < iterations; k++) state = Layer(state, weight, injected);
        return state;
    }

    /// <summary>‖f(z) − z‖ / ‖z‖ for a batch of states: how far <paramref name="state"/> is from the equilibrium.</summary>
    public double RelativeResidual(Tensor inputs, Tensor state)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var next = Layer(state, RecurrentWeight(), Inject(inputs));
        return (next - state).norm().ToDouble() / Math.Max(state.norm().ToDouble(), 1e-12);
    }

    /// <summary>Logits at the equilibrium (evaluation; no graph).</summary>
    public override Tensor forward(Tensor inputs)
    {
        using var noGrad = no_grad();
        using var state = Solve(inputs, 200, 1e-6).State;
        return Logits(state);
    }
}
