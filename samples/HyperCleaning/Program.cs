// Data hyper-cleaning on Fashion-MNIST: learn one weight per training sample so that a classifier trained
// on half-corrupted labels does well on a small clean validation set.
//   dotnet run -c Release --project samples/HyperCleaning [-- --seeds 3 --protocol fast|literature --outer-steps 40 --data /path/to/fashion-mnist
//       --methods "cg cg:warm nystrom-cg:rank=20:warm nystrom:rank=20:rho=0.1 reverse" --baselines yes|no]
using Hypergrad.Samples;
using HyperCleaning;

return SampleProgram.Run(args, options =>
{
    var protocol = options.Get("protocol", "fast");
    var preset = protocol switch
    {
        "fast" => new HyperCleaningSettings(),
        "literature" => HyperCleaningSettings.Literature,
        _ => throw new ArgumentException($"Option --protocol must be 'fast' (1000 validation images) or 'literature' (5000/5000/10000), not '{protocol}'."),
    };
    var defaults = options.WithCommonOptions(preset);
    var seeds = options.Get("seeds", defaults.Seeds);
    if (seeds < 1) throw new ArgumentException($"Option --seeds must be at least 1, not {seeds}.");
    var methods = options.GetOptional("methods") is { } list
        ? list.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(CleaningMethod.Parse).ToList()
        : defaults.Methods;
    if (methods.Count == 0) throw new ArgumentException("Option --methods needs at least one method, e.g. --methods \"cg cg:warm\".");
    var baselines = options.Get("baselines", "yes") switch
    {
        "yes" => true,
        "no" => false,
        var other => throw new ArgumentException($"Option --baselines must be 'yes' or 'no', not '{other}'."),
    };
    return defaults with
    {
        TrainCount = options.Get("train", defaults.TrainCount),
        ValidationCount = options.Get("validation", defaults.ValidationCount),
        OuterLearningRate = options.Get("outer-lr", defaults.OuterLearningRate),
        Ridge = options.Get("ridge", defaults.Ridge),
        Seeds = seeds,
        DataDirectory = options.GetOptional("data"),
        Methods = methods,
        Baselines = baselines,
    };
}, settings => HyperCleaningSample.RunSeeds(settings));
