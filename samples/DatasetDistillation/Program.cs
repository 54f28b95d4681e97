// Dataset distillation on Fashion-MNIST: learn a few synthetic images per class that train a classifier.
//   dotnet run -c Release --project samples/DatasetDistillation [-- --per-class 1 --outer-steps 300 --data DIR]
using DatasetDistillation;
using Hypergrad.Samples;

return SampleProgram.Run(args, options =>
{
    var defaults = options.WithCommonOptions(new DistillationSettings());
    return defaults with
    {
        ImagesPerClass = options.Get("per-class", defaults.ImagesPerClass),
        InnerLearningRate = options.Get("inner-lr", defaults.InnerLearningRate),
        OuterLearningRate = options.Get("outer-lr", defaults.OuterLearningRate),
        DataDirectory = options.GetOptional("data"),
    };
}, settings => DistillationSample.Run(settings));
