// Dataset distillation on Fashion-MNIST: learn a few synthetic images per class, and the step size of the training
// that uses them, so that a classifier trained on them alone does well on real images.
//   dotnet run -c Release --project samples/DatasetDistillation [-- --seeds 3 --per-class 1 --outer-steps 300 --data DIR]
using DatasetDistillation;
using Hypergrad.Samples;

return SampleProgram.Run(args, options =>
{
    var defaults = options.WithCommonOptions(new DistillationSettings());
    var seeds = options.Get("seeds", defaults.Seeds);
    if (seeds < 1) throw new ArgumentException($"Option --seeds must be at least 1, not {seeds}.");
    var learningRate = options.Get("initial-lr", defaults.InitialLearningRate);
    if (!(learningRate > 0) || double.IsInfinity(learningRate))
        throw new ArgumentException($"Option --initial-lr must be a positive step size, not {learningRate}.");
    var perClass = options.Get("per-class", defaults.ImagesPerClass);
    if (perClass < 1) throw new ArgumentException($"Option --per-class must be at least 1 synthetic image per class, not {perClass}.");
    var outerLearningRate = options.Get("outer-lr", defaults.OuterLearningRate);
    if (!(outerLearningRate > 0) || double.IsInfinity(outerLearningRate))
        throw new ArgumentException($"Option --outer-lr must be a positive step size, not {outerLearningRate}.");
    return defaults with
    {
        ImagesPerClass = perClass,
        InitialLearningRate = learningRate,
        OuterLearningRate = outerLearningRate,
        TrainCount = options.Get("train", defaults.TrainCount),
        ValidationCount = options.Get("validation", defaults.ValidationCount),
        Seeds = seeds,
        DataDirectory = options.GetOptional("data"),
    };
}, settings => DistillationSample.RunSeeds(settings));
