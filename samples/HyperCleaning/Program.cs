// Data hyper-cleaning on Fashion-MNIST: learn one weight per training sample so that a classifier trained
// on half-corrupted labels does well on a small clean validation set.
//   dotnet run -c Release --project samples/HyperCleaning [-- --outer-steps 40 --data /path/to/fashion-mnist]
using Hypergrad.Samples;
using HyperCleaning;

return SampleProgram.Run(args, options =>
{
    var defaults = options.WithCommonOptions(new HyperCleaningSettings());
    return defaults with
    {
        TrainCount = options.Get("train", defaults.TrainCount),
        ValidationCount = options.Get("validation", defaults.ValidationCount),
        OuterLearningRate = options.Get("outer-lr", defaults.OuterLearningRate),
        Ridge = options.Get("ridge", defaults.Ridge),
        DataDirectory = options.GetOptional("data"),
    };
}, settings => HyperCleaningSample.Run(settings));
