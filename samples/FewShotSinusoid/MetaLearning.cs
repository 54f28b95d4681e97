using Hypergrad;
using Hypergrad.Solving;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn.functional;

namespace FewShotSinusoid;

/// <summary>
/// Meta-learning an initialization θ for few-shot regression, as a bilevel problem per task: the inner variable
/// is the network adapted to the task, reset to θ before every task (<c>InitializedFrom</c>); the inner objective
/// fits the task's few support points, the outer objective is the adapted network's loss on its query points.
/// <see cref="MetaTraining"/> averages the meta-gradients of a meta-batch of tasks with <c>ComputeHypergradient</c>.
/// </summary>
/// <param name="network">Creates the network (twice: adapted and initialization); MAML's ReLU network when null.</param>
public abstract class MetaLearning(Func<Sequential>? network = null)
{
    /// <summary>The network adapted to the current task (inner variable), reset to <see cref="Initialization"/> for every task.</summary>
    [Inner(InitializedFrom = nameof(Initialization))] public Sequential Adapted { get; } = (network ?? (() => SinusoidNetwork.Create()))();

    /// <summary>θ: the meta-learned initialization (outer variable).</summary>
    [Outer] public Sequential Initialization { get; } = (network ?? (() => SinusoidNetwork.Create()))();

    /// <summary>The adapted network's error on the task's query points.</summary>
    [OuterObjective]
    public Tensor QueryLoss(Tensor x, Tensor y) => mse_loss(Adapted.call(x), y);
}

/// <summary>
/// iMAML (Rajeswaran et al. 2019): the adaptation minimises the support loss plus ½λ‖w − θ‖², i.e. stays close to
/// θ, and the meta-gradient of the query loss F at the proximal optimum w* is dF/dθ = λ(∇²L + λI)⁻¹∇F, from implicit
/// differentiation. As in the authors' code the system is damped: conjugate gradient solves (∇²L + (λ + ρ)I) x = ∇F
/// for a few iterations (the options are set at run time from <see cref="FewShotSettings"/>), so it needs no record
/// of the adaptation steps.
/// </summary>
[Hypergradient(Method.ConjugateGradient, Iterations = 5, Tolerance = 1e-2, Rho = 22)]
public partial class ImplicitMaml(double proximal, Func<Sequential>? network = null) : MetaLearning(network)
{
    /// <summary>λ, the proximal strength.</summary>
    public double Proximal => proximal;

    /// <summary>Support loss plus the proximal term.</summary>
    [InnerObjective]
    public Tensor SupportLoss(Tensor x, Tensor y) =>
        mse_loss(Adapted.call(x), y) + 0.5 * proximal * SinusoidNetwork.SquaredDistance(Adapted, Initialization);
}

/// <summary>
/// MAML (Finn et al. 2017): the adaptation takes a few plain gradient steps on the support loss, and the
/// meta-gradient differentiates through those steps back to their initialization (reverse mode, second order).
/// </summary>
[Hypergradient(Method.ReverseUnroll, Operations = new[] { Operation.InitializationUnroll })]
public partial class Maml : MetaLearning
{
    /// <summary>Support loss.</summary>
    [InnerObjective]
    public Tensor SupportLoss(Tensor x, Tensor y) => mse_loss(Adapted.call(x), y);
}

/// <summary>
/// The reference the iMAML meta-gradient is measured against: the exact derivative of the adaptation actually run
/// (the same proximal support loss, the same gradient steps from θ), by reverse mode through the steps — with
/// respect to θ both as the starting point and as the proximal centre.
/// </summary>
[Hypergradient(Method.ReverseUnroll, Operations = new[] { Operation.InitializationUnroll })]
public partial class UnrolledImaml(double proximal) : MetaLearning
{
    /// <summary>Support loss plus the proximal term (as <see cref="ImplicitMaml"/>).</summary>
    [InnerObjective]
    public Tensor SupportLoss(Tensor x, Tensor y) =>
        mse_loss(Adapted.call(x), y) + 0.5 * proximal * SinusoidNetwork.SquaredDistance(Adapted, Initialization);
}
