using Hypergrad;
using Hypergrad.Solving;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FewShotSinusoid;

/// <summary>
/// Meta-learning an initialization θ for few-shot regression, as a bilevel problem. Each outer step sees
/// one task: the inner variable is the task's adaptation Δ (reset to zero for every task), the network
/// runs at θ + Δ, the inner objective fits the task's few support points, the outer objective is the
/// loss on its query points after adaptation. Subclasses choose the inner objective and the method.
/// </summary>
public abstract class MetaLearning(SinusoidNetwork network, int seed)
{
    /// <summary>The network both objectives evaluate.</summary>
    protected SinusoidNetwork Network { get; } = network;

    /// <summary>θ: the meta-learned initialization (outer variable).</summary>
    [Outer] public Parameter Initialization { get; } = new(network.Initialize(seed));

    /// <summary>Δ: the current task's adaptation (inner variable), starting from zero for every task.</summary>
    [Inner] public Parameter Adaptation { get; } = new(zeros(network.ParameterCount));

    /// <summary>The adapted network's error on the task's query points.</summary>
    [OuterObjective]
    public Tensor QueryLoss(Tensor x, Tensor y) => Network.Loss(Initialization + Adaptation, x, y);

    /// <summary>The proximal strength λ of <see cref="ImplicitMaml"/>; 0 for MAML.</summary>
    public virtual double Proximal => 0;

    /// <summary>Runs the meta-training (the generated <c>Run</c> of the subclass).</summary>
    public abstract BilevelRunResult MetaTrain(IEnumerable<(Tensor x, Tensor y)> support, IEnumerable<(Tensor x, Tensor y)> query,
        BilevelOptions options, IProgress<BilevelProgress>? progress);
}

/// <summary>
/// iMAML (Rajeswaran et al. 2019): the adaptation minimises the support loss plus ½λ‖Δ‖², i.e. stays close to θ;
/// the meta-gradient (I + ∇²L/λ)⁻¹∇F comes from implicit differentiation, solved by conjugate gradient, so it
/// needs no record of the inner steps.
/// </summary>
[Hypergradient(Method.ConjugateGradient, Iterations = 5, Tolerance = 1e-4)]
public partial class ImplicitMaml(SinusoidNetwork network, int seed, double proximal) : MetaLearning(network, seed)
{
    /// <inheritdoc/>
    public override double Proximal => proximal;

    /// <summary>Support loss plus the proximal term.</summary>
    [InnerObjective]
    public Tensor SupportLoss(Tensor x, Tensor y) => Network.Loss(Initialization + Adaptation, x, y) + 0.5 * proximal * Adaptation.pow(2).sum();

    /// <inheritdoc/>
    public override BilevelRunResult MetaTrain(IEnumerable<(Tensor x, Tensor y)> support, IEnumerable<(Tensor x, Tensor y)> query,
        BilevelOptions options, IProgress<BilevelProgress>? progress) => Run(support, query, options, progress);
}

/// <summary>
/// MAML (Finn et al. 2017): the adaptation takes a few plain gradient steps on the support loss, and the
/// meta-gradient differentiates through those steps (reverse mode, second order).
/// </summary>
[Hypergradient(Method.ReverseUnroll)]
public partial class Maml(SinusoidNetwork network, int seed) : MetaLearning(network, seed)
{
    /// <summary>Support loss.</summary>
    [InnerObjective]
    public Tensor SupportLoss(Tensor x, Tensor y) => Network.Loss(Initialization + Adaptation, x, y);

    /// <inheritdoc/>
    public override BilevelRunResult MetaTrain(IEnumerable<(Tensor x, Tensor y)> support, IEnumerable<(Tensor x, Tensor y)> query,
        BilevelOptions options, IProgress<BilevelProgress>? progress) => Run(support, query, options, progress);
}
