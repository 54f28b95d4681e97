using Hypergrad;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using static TorchSharp.torch.nn.functional;

namespace HyperCleaning;

/// <summary>
/// Data hyper-cleaning (Franceschi et al. 2017): a linear classifier is trained on a noisy training set
/// in which every sample i counts with weight σ(sᵢ); the weights are learned so that the trained model
/// does well on a small clean validation set. Corrupted samples end up with small weights.
/// <code>
/// inner: W*(s) = argmin_W  mean_i σ(sᵢ)·CE(W xᵢ, ỹᵢ) + ½ρ‖W‖²
/// outer: min_s  CE(validation; W*(s))
/// </code>
/// The variables and objectives are declared once here; each subclass below only chooses how its hypergradient is
/// computed (<see cref="CleaningMethod"/> sets the options known at run time), and the source generator writes its <c>Run</c>.
/// </summary>
public abstract class DataCleaning(int samples, int features, int classes, double ridge)
{
    /// <summary>The classifier, starting at zero.</summary>
    [Inner] public Linear Model { get; } = ZeroLinear(features, classes);

    /// <summary>sᵢ: the logit of the weight of training sample i (σ(0) = ½ for all at the start).</summary>
    [Outer] public Parameter SampleLogits { get; } = new(zeros(samples));

    /// <summary>The weight of each training sample, σ(sᵢ) ∈ (0, 1).</summary>
    public Tensor SampleWeights => SampleLogits.sigmoid();

    /// <summary>The weighted training loss over the whole (noisy) training set.</summary>
    [InnerObjective]
    public Tensor TrainLoss(Tensor x, Tensor y) =>
        (SampleLogits.sigmoid() * cross_entropy(Model.call(x), y, reduction: Reduction.None)).mean()
        + 0.5 * ridge * Model.weight!.pow(2).sum();

    /// <summary>Cross-entropy on the clean validation set.</summary>
    [OuterObjective]
    public Tensor ValidationLoss(Tensor x, Tensor y) => cross_entropy(Model.call(x), y);

    static Linear ZeroLinear(int features, int classes)
    {
        var model = Linear(features, classes);
        using (no_grad())
        {
            model.weight!.zero_();
            model.bias!.zero_();
        }
        return model;
    }
}

/// <summary>Implicit: conjugate gradient on H x = ∇_w F (at most 20 iterations, tolerance 1e-4): the README's default run.</summary>
[Hypergradient(Method.ConjugateGradient, Iterations = 20, Tolerance = 1e-4)]
public partial class ConjugateGradientCleaning(int samples, int features, int classes, double ridge) : DataCleaning(samples, features, classes, ridge);

/// <summary>Implicit: conjugate gradient preconditioned by a Nyström sketch of H that is reused across outer steps.</summary>
[Hypergradient(Method.NystromConjugateGradient, Iterations = 20, Tolerance = 1e-4, Rank = 20)]
public partial class NystromConjugateGradientCleaning(int samples, int features, int classes, double ridge) : DataCleaning(samples, features, classes, ridge);

/// <summary>Implicit: a rank-k Nyström approximation of (H + ρI)⁻¹ (a fixed-cost approximation, not a converged solve).</summary>
[Hypergradient(Method.Nystrom, Rank = 20, Rho = 0.1)]
public partial class NystromCleaning(int samples, int features, int classes, double ridge) : DataCleaning(samples, features, classes, ridge);

/// <summary>Reverse mode through every inner step between two outer steps (exact for those steps).</summary>
[Hypergradient(Method.ReverseUnroll)]
public partial class ReverseModeCleaning(int samples, int features, int classes, double ridge) : DataCleaning(samples, features, classes, ridge);
