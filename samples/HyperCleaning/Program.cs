// Data hyper-cleaning on Fashion-MNIST: learn one weight per training sample so that a classifier trained
// on half-corrupted labels does well on a small clean validation set.
//   dotnet run -c Release --project samples/HyperCleaning [-- --outer-steps 100 --data /path/to/fashion-mnist]
using Hypergrad;
using Hypergrad.Samples;
using HyperCleaning;

var args_ = new SampleArguments(args);
var defaults = new HyperCleaningSettings();
var settings = defaults with
{
    TrainCount = args_.Get("train", defaults.TrainCount),
    ValidationCount = args_.Get("validation", defaults.ValidationCount),
    OuterSteps = args_.Get("outer-steps", defaults.OuterSteps),
    UnrollSteps = args_.Get("unroll-steps", defaults.UnrollSteps),
    OuterLearningRate = args_.Get("outer-lr", defaults.OuterLearningRate),
    Seed = args_.Get("seed", defaults.Seed),
    Ridge = args_.Get("ridge", defaults.Ridge),
    DataDirectory = args_.Has("data") ? args_.Get("data", "") : null,
    OutputDirectory = args_.Get("output", defaults.OutputDirectory!),
};
// The model is small: one intra-op thread beats two that spin on a busy 2-core machine.
TorchSharp.torch.set_num_threads(1);
try
{
    HyperCleaningSample.Run(settings);
}
catch (HypergradException e)
{
    // Most likely the data is missing; the message says how to get it.
    Console.Error.WriteLine(e.Message);
    return 1;
}
return 0;
