// Few-shot sinusoid regression: meta-learn an initialization with iMAML (implicit) and MAML (unrolled).
//   dotnet run -c Release --project samples/FewShotSinusoid [-- --outer-steps 3000 --unroll-steps 5]
using FewShotSinusoid;
using Hypergrad.Samples;

var options = new SampleArguments(args);
var defaults = options.WithCommonOptions(new FewShotSettings());
var settings = defaults with
{
    Shots = options.Get("shots", defaults.Shots),
    AdaptationLearningRate = options.Get("inner-lr", defaults.AdaptationLearningRate),
    Proximal = options.Get("proximal", defaults.Proximal),
    MetaLearningRate = options.Get("outer-lr", defaults.MetaLearningRate),
};
// The network is small: one intra-op thread beats two that spin on a busy 2-core machine.
TorchSharp.torch.set_num_threads(1);
FewShotSample.Run(settings);
