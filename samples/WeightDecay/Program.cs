// Per-weight decay for logistic regression, tuned by hypergradient: README's main command.
//   dotnet run -c Release --project samples/WeightDecay [-- --outer-steps 30 --features 100 --csv data.csv --target y]
using Hypergrad.Samples;
using WeightDecay;

var options = new SampleArguments(args);
var defaults = options.WithCommonOptions(new WeightDecaySettings());
var settings = defaults with
{
    Count = options.Get("count", defaults.Count),
    Features = options.Get("features", defaults.Features),
    Informative = options.Get("informative", defaults.Informative),
    Noise = options.Get("noise", defaults.Noise),
    OuterLearningRate = options.Get("outer-lr", defaults.OuterLearningRate),
    CsvPath = options.GetOptional("csv"),
    TargetColumn = options.Get("target", defaults.TargetColumn),
};
// The tensors are small: one intra-op thread beats two that spin and wait for each other (several times
// faster on a busy 2-core machine, identical numbers).
TorchSharp.torch.set_num_threads(1);
WeightDecaySample.Run(settings);
