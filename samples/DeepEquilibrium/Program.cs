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
    var (train, test, batch, hidden) = (options.Get("train", defaults.TrainCount), options.Get("test", defaults.TestCount),
        options.Get("batch", defaults.BatchSize), options.Get("hidden", defaults.Hidden));
    if (test < 1 || hidden < 1) throw new ArgumentException($"Options --test and --hidden must be at least 1, not {test} and {hidden}.");
    if (batch < 1 || batch > train) throw new ArgumentException($"Option --batch must be from 1 to the {train} training images, not {batch}.");
    var contraction = options.Get("contraction", defaults.Contraction);
    if (!(contraction > 0 && contraction < 1))
        throw new ArgumentException($"Option --contraction must lie in (0, 1) for the fixed point to exist and be unique, not {contraction}.");
    var learningRate = options.Get("lr", defaults.LearningRate);
    if (!(learningRate > 0) || double.IsInfinity(learningRate)) throw new ArgumentException($"Option --lr must be a positive step size, not {learningRate}.");
    return defaults with
    {
        TrainCount = train,
        ValidationCount = options.Get("validation", defaults.ValidationCount),
        TestCount = test,
        BatchSize = batch,
        Hidden = hidden,
        Contraction = contraction,
        LearningRate = learningRate,
        Seeds = seeds,
        Backward = backward,
        DataDirectory = options.GetOptional("data"),
    };
}, settings => DeepEquilibriumSample.RunSeeds(settings));
