using System.Linq;
using Hypergrad.Solving;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn.functional;

namespace Hypergrad.Benchmarks.Problems;

/// <summary>What the hand-written loop needs of a tuning class: its model, its decays and its two objectives.</summary>
public interface IDecayTuning : IBilevelProblemClass<(Tensor x, Tensor y), (Tensor x, Tensor y)>
{
    /// <summary>The model (the inner variables).</summary>
    nn.Module Network { get; }

    /// <summary>The log weight decays (the outer variables).</summary>
    Parameter LogDecay { get; }

    /// <summary>g on a batch.</summary>
    Tensor TrainLoss(Tensor x, Tensor y);

    /// <summary>F on a batch.</summary>
    Tensor ValidationLoss(Tensor x, Tensor y);
}

/// <summary>
/// Softmax regression with one learnable weight decay per feature, as a <c>[Hypergradient]</c> class: the generated
/// <c>Run</c> is timed against the same loop written by hand (<see cref="OverheadsBenchmark"/>).
/// g = CE(train) + ½ Σ_j exp(LogDecay_j)·‖W[:, j]‖², F = CE(validation).
/// </summary>
[Hypergradient(Method.ConjugateGradient, Iterations = 10, Tolerance = 1e-12)]
public partial class SoftmaxDecayTuning : IDecayTuning
{
    /// <summary>A Linear layer initialised from <paramref name="seed"/>; every decay starts at e^−3.</summary>
    public SoftmaxDecayTuning(int features, int classes, int seed)
    {
        manual_seed(seed);
        Model = nn.Linear(features, classes, dtype: float64);
        LogDecay = new Parameter(full(features, -3.0, dtype: float64));
    }

    /// <summary>The model.</summary>
    [Inner] public Linear Model { get; }

    nn.Module IDecayTuning.Network => Model;

    /// <summary>One log weight decay per feature (softmax regression) or per layer (MLP).</summary>
    [Outer] public Parameter LogDecay { get; }

    /// <summary>Training loss plus the decay penalty.</summary>
    [InnerObjective]
    public Tensor TrainLoss(Tensor x, Tensor y) => cross_entropy(Model.call(x), y) + 0.5 * (Model.weight!.pow(2) * LogDecay.exp()).sum();

    /// <summary>Validation loss.</summary>
    [OuterObjective]
    public Tensor ValidationLoss(Tensor x, Tensor y) => cross_entropy(Model.call(x), y);
}

/// <summary>
/// A multilayer perceptron of <c>layers</c> Linear layers (tanh between them; 2 × layers parameter tensors) with one
/// learnable weight decay per layer: g = CE(train) + ½ Σ_l exp(LogDecay_l)·(‖W_l‖² + ‖b_l‖²), F = CE(validation).
/// </summary>
[Hypergradient(Method.ConjugateGradient, Iterations = 10, Tolerance = 1e-12)]
public partial class MlpDecayTuning : IDecayTuning
{
    readonly Linear[] layers;

    /// <summary>The layers initialised from <paramref name="seed"/>; every decay starts at e^<paramref name="logDecay"/>.</summary>
    public MlpDecayTuning(int inputs, int width, int layerCount, int classes, int seed, double logDecay = -3)
    {
        manual_seed(seed);
        layers = Enumerable.Range(0, layerCount)
            .Select(l => nn.Linear(l == 0 ? inputs : width, l == layerCount - 1 ? classes : width, dtype: float64)).ToArray();
        Model = nn.Sequential(layers.SelectMany((layer, l) => l == layerCount - 1
            ? new nn.Module<Tensor, Tensor>[] { layer }
            : new nn.Module<Tensor, Tensor>[] { layer, nn.Tanh() }).ToArray());
        LogDecay = new Parameter(full(layerCount, logDecay, dtype: float64));
    }

    /// <summary>The model.</summary>
    [Inner] public Sequential Model { get; }

    nn.Module IDecayTuning.Network => Model;

    /// <summary>One log weight decay per feature (softmax regression) or per layer (MLP).</summary>
    [Outer] public Parameter LogDecay { get; }

    /// <summary>Training loss plus the decay penalty.</summary>
    [InnerObjective]
    public Tensor TrainLoss(Tensor x, Tensor y) =>
        cross_entropy(Model.call(x), y) + 0.5 * (stack(layers.Select(layer => layer.weight!.pow(2).sum() + layer.bias!.pow(2).sum())) * LogDecay.exp()).sum();

    /// <summary>Validation loss.</summary>
    [OuterObjective]
    public Tensor ValidationLoss(Tensor x, Tensor y) => cross_entropy(Model.call(x), y);
}
