// Data hyper-cleaning on Fashion-MNIST: learn one weight per training sample so that a classifier trained
// on half-corrupted labels does well on a small clean validation set.
//   dotnet run -c Release --project samples/HyperCleaning [-- --outer-steps 40 --data /path/to/fashion-mnist]
using Hypergrad;
using Hypergrad.Samples;
using HyperCleaning;

var options = new SampleArguments(args);
var defaults = options.WithCommonOptions(new HyperCleaningSettings());
var settings = defaults with
{
    TrainCount = options.Get("train", defaults.TrainCount),
    ValidationCount = options.Get("validation", defaults.ValidationCount),
    OuterLearningRate = options.Get("outer-lr", defaults.OuterLearningRate),
    Ridge = options.Get("ridge", defaults.Ridge),
    DataDirectory = options.GetOptional("data"),
};
// The model is small: one intra-op thread beats two that spin on a busy 2-core machine.
TorchSharp.torch.set_num_threads(1);
try
{
    HyperCleaningSample.Run(settings);
    return 0;
}
catch (HypergradException e)
{
    // Most likely the data is missing; the message says how to get it.
    Console.Error.WriteLine(e.Message);
    return 1;
}
