using System;
using TorchSharp;

namespace Hypergrad.Samples;

/// <summary>The shared <c>Main</c> of the samples: options, threading, and errors a user can act on.</summary>
public static class SampleProgram
{
    /// <summary>
    /// Reads the settings (refusing unknown or malformed options with exit code 2), runs the sample with one
    /// intra-op thread, and turns a <see cref="HypergradException"/> (missing data, a diverging run) into its
    /// message and exit code 1 instead of a stack trace.
    /// </summary>
    public static int Run<TSettings>(string[] args, Func<SampleArguments, TSettings> readSettings, Action<TSettings> run)
    {
        TSettings settings;
        try
        {
            var options = new SampleArguments(args);
            settings = readSettings(options);
            options.EnsureAllUsed();
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine(e.Message);
            return 2;
        }

        // The samples' tensors are small: one intra-op thread beats two that spin and wait for each other
        // (several times faster on a busy 2-core machine, identical numbers).
        torch.set_num_threads(1);
        try
        {
            run(settings);
            return 0;
        }
        catch (HypergradException e)
        {
            Console.Error.WriteLine(e.Message);
            return 1;
        }
    }
}
