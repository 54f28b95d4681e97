// A deep equilibrium model on Fashion-MNIST, trained by implicit differentiation through its fixed point,
// against the same network unrolled to a fixed depth and an MLP whose step size is chosen on validation images.
//   dotnet run -c Release --project samples/DeepEquilibrium [-- --seeds 3 --outer-steps 3000 --unroll-steps 30 --hidden 100 --backward ConjugateGradientNormal --data DIR]
using DeepEquilibrium;
using Hypergrad;
using Hypergrad.Samples;

return SampleProgram.Run(args, options =>
{
    var defaults = options.WithCommonOptions(new DeepEquilibriumSettings());
    var seeds = options.Get("seeds", defaults.Seeds);
    if (seeds < 1) throw new ArgumentException($"Option --seeds must be at least 1, not {seeds}.");
    var backwardText = options.Get("backward", defaults.Backward.ToString());
    if (!Enum.TryParse<Method>(backwardText, ignoreCase: true, out var backward) || backward is not (Method.FixedPoint or Method.ConjugateGradientNormal))
        throw new ArgumentException($"Option --backward must be FixedPoint or ConjugateGradientNormal (a DEQ's Jacobian is not symmetric), not '{backwardText}'.");
    return defaults with
    {
        TrainCount = options.Get("train", defaults.TrainCount),
        ValidationCount = options.Get("validation", defaults.ValidationCount),
        TestCount = options.Get("test", defaults.TestCount),
        BatchSize = options.Get("batch", defaults.BatchSize),
        Hidden = options.Get("hidden", defaults.Hidden),
        Contraction = options.Get("contraction", defaults.Contraction),
        LearningRate = options.Get("lr", defaults.LearningRate),
        Seeds = seeds,
        Backward = backward,
        DataDirectory = options.GetOptional("data"),
    };
}, settings => DeepEquilibriumSample.RunSeeds(settings));
