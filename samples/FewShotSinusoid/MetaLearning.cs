using Hypergrad;
using Hypergrad.Solving;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn.functional;

namespace FewShotSinusoid;

/// <summary>
/// Meta-learning an initialization θ for few-shot regression, as a bilevel problem. Each outer step sees one
/// task: the inner variable is the network adapted to it, which <c>Run</c> resets to θ before every task
/// (<c>InitializedFrom</c>); the inner objective fits the task's few support points, the outer objective is the
/// adapted network's loss on the task's query points. Subclasses choose the inner objective and the method.
/// </summary>
public abstract class MetaLearning
{
    /// <summary>The network adapted to the current task (inner variable), reset to <see cref="Initialization"/> for every task.</summary>
    [Inner(InitializedFrom = nameof(Initialization))] public Sequential Adapted { get; } = SinusoidNetwork.Create();

    /// <summary>θ: the meta-learned initialization (outer variable).</summary>
    [Outer] public Sequential Initialization { get; } = SinusoidNetwork.Create();

    /// <summary>The adapted network's error on the task's query points.</summary>
    [OuterObjective]
    public Tensor QueryLoss(Tensor x, Tensor y) => mse_loss(Adapted.call(x), y);

    /// <summary>The proximal strength λ of <see cref="ImplicitMaml"/>; 0 for MAML.</summary>
    public virtual double Proximal => 0;

    /// <summary>Runs the meta-training (the generated <c>Run</c> of the subclass).</summary>
    public abstract BilevelRunResult MetaTrain(IEnumerable<(Tensor x, Tensor y)> support, IEnumerable<(Tensor x, Tensor y)> query,
        BilevelOptions options, IProgress<BilevelProgress>? progress);
}

/// <summary>
/// iMAML (Rajeswaran et al. 2019): the adaptation minimises the support loss plus ½λ‖w − θ‖², i.e. stays close
/// to θ; the meta-gradient λ(∇²L + λI)⁻¹∇F comes from implicit differentiation, solved by conjugate gradient,
/// so it needs no record of the adaptation steps.
/// </summary>
[Hypergradient(Method.ConjugateGradient, Iterations = 5, Tolerance = 1e-4)]
public partial class ImplicitMaml(double proximal) : MetaLearning
{
    /// <inheritdoc/>
    public override double Proximal => proximal;

    /// <summary>Support loss plus the proximal term.</summary>
    [InnerObjective]
    public Tensor SupportLoss(Tensor x, Tensor y) =>
        mse_loss(Adapted.call(x), y) + 0.5 * proximal * SinusoidNetwork.SquaredDistance(Adapted, Initialization);

    /// <inheritdoc/>
    public override BilevelRunResult MetaTrain(IEnumerable<(Tensor x, Tensor y)> support, IEnumerable<(Tensor x, Tensor y)> query,
        BilevelOptions options, IProgress<BilevelProgress>? progress) => Run(support, query, options, progress);
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

    /// <inheritdoc/>
    public override BilevelRunResult MetaTrain(IEnumerable<(Tensor x, Tensor y)> support, IEnumerable<(Tensor x, Tensor y)> query,
        BilevelOptions options, IProgress<BilevelProgress>? progress) => Run(support, query, options, progress);
}
