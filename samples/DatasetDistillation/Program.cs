// Dataset distillation on Fashion-MNIST: learn a few synthetic images per class that train a classifier.
//   dotnet run -c Release --project samples/DatasetDistillation [-- --per-class 1 --outer-steps 300 --data DIR]
using DatasetDistillation;
using Hypergrad;
using Hypergrad.Samples;

var options = new SampleArguments(args);
var defaults = options.WithCommonOptions(new DistillationSettings());
var settings = defaults with
{
    ImagesPerClass = options.Get("per-class", defaults.ImagesPerClass),
    InnerLearningRate = options.Get("inner-lr", defaults.InnerLearningRate),
    OuterLearningRate = options.Get("outer-lr", defaults.OuterLearningRate),
    DataDirectory = options.GetOptional("data"),
};
// The model is small: one intra-op thread beats two that spin on a busy 2-core machine.
TorchSharp.torch.set_num_threads(1);
try
{
    DistillationSample.Run(settings);
    return 0;
}
catch (HypergradException e)
{
    // Most likely the data is missing; the message says how to get it.
    Console.Error.WriteLine(e.Message);
    return 1;
}
