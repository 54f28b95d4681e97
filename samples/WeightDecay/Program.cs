// Per-weight decay for logistic regression, tuned by hypergradient: README's main command.
//   dotnet run -c Release --project samples/WeightDecay [-- --features 100 --outer-steps 30 --csv data.csv --target y]
using Hypergrad.Samples;
using WeightDecay;

var args_ = new SampleArguments(args);
var defaults = new WeightDecaySettings();
var settings = defaults with
{
    Count = args_.Get("count", defaults.Count),
    Features = args_.Get("features", defaults.Features),
    OuterSteps = args_.Get("outer-steps", defaults.OuterSteps),
    UnrollSteps = args_.Get("unroll-steps", defaults.UnrollSteps),
    OuterLearningRate = args_.Get("outer-lr", defaults.OuterLearningRate),
    Seed = args_.Get("seed", defaults.Seed),
    Informative = args_.Get("informative", defaults.Informative),
    Noise = args_.Get("noise", defaults.Noise),
    CsvPath = args_.Has("csv") ? args_.Get("csv", "") : null,
    TargetColumn = args_.Get("target", defaults.TargetColumn),
    OutputDirectory = args_.Get("output", defaults.OutputDirectory!),
};
// The tensors are small: one intra-op thread beats two that spin and wait for each other (several times
// faster on a busy 2-core machine, identical numbers).
TorchSharp.torch.set_num_threads(1);
WeightDecaySample.Run(settings);
