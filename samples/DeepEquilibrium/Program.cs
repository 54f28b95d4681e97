// A deep equilibrium model on Fashion-MNIST, trained by implicit differentiation through its fixed point,
// against the same network unrolled to a fixed depth and an MLP.
//   dotnet run -c Release --project samples/DeepEquilibrium [-- --outer-steps 3000 --unroll-steps 30 --hidden 100 --backward ConjugateGradientNormal --data /path/to/fashion-mnist]
using DeepEquilibrium;
using Hypergrad;
using Hypergrad.Samples;

var options = new SampleArguments(args);
var defaults = options.WithCommonOptions(new DeepEquilibriumSettings());
var settings = defaults with
{
    TrainCount = options.Get("train", defaults.TrainCount),
    TestCount = options.Get("test", defaults.TestCount),
    BatchSize = options.Get("batch", defaults.BatchSize),
    Hidden = options.Get("hidden", defaults.Hidden),
    Contraction = options.Get("contraction", defaults.Contraction),
    LearningRate = options.Get("lr", defaults.LearningRate),
    Backward = Enum.Parse<Method>(options.Get("backward", defaults.Backward.ToString()), ignoreCase: true),
    DataDirectory = options.GetOptional("data"),
};
// The model is small: one intra-op thread beats two that spin on a busy 2-core machine.
TorchSharp.torch.set_num_threads(1);
try
{
    DeepEquilibriumSample.Run(settings);
    return 0;
}
catch (HypergradException e)
{
    // Most likely the data is missing; the message says how to get it.
    Console.Error.WriteLine(e.Message);
    return 1;
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);   // a bad command-line value
    return 2;
}
