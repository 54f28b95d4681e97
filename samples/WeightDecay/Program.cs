// Per-weight decay for logistic regression, tuned by hypergradient: README's main command.
//   dotnet run -c Release --project samples/WeightDecay [-- --seeds 3 --outer-steps 30 --features 100 --csv data.csv --target y]
using Hypergrad.Samples;
using WeightDecay;

return SampleProgram.Run(args, options =>
{
    var defaults = options.WithCommonOptions(new WeightDecaySettings());
    var seeds = options.Get("seeds", defaults.Seeds);
    if (seeds < 1) throw new ArgumentException($"Option --seeds must be at least 1, not {seeds}.");
    return defaults with
    {
        Seeds = seeds,
        Count = options.Get("count", defaults.Count),
        Features = options.Get("features", defaults.Features),
        Informative = options.Get("informative", defaults.Informative),
        Noise = options.Get("noise", defaults.Noise),
        OuterLearningRate = options.Get("outer-lr", defaults.OuterLearningRate),
        CsvPath = options.GetOptional("csv"),
        TargetColumn = options.Get("target", defaults.TargetColumn),
    };
}, settings => WeightDecaySample.RunSeeds(settings));
