// Few-shot sinusoid regression: meta-learn an initialization with iMAML (implicit) and MAML (unrolled).
//   dotnet run -c Release --project samples/FewShotSinusoid [-- --outer-steps 6000 --unroll-steps 10]
using FewShotSinusoid;
using Hypergrad.Samples;

return SampleProgram.Run(args, options =>
{
    var defaults = options.WithCommonOptions(new FewShotSettings());
    return defaults with
    {
        Shots = options.Get("shots", defaults.Shots),
        AdaptationLearningRate = options.Get("inner-lr", defaults.AdaptationLearningRate),
        Proximal = options.Get("proximal", defaults.Proximal),
        MetaLearningRate = options.Get("outer-lr", defaults.MetaLearningRate),
    };
}, settings => FewShotSample.Run(settings));
