using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Hypergrad.Optimizers;
using Hypergrad.Parameters;
using TorchSharp;
using static TorchSharp.torch;

namespace Hypergrad.Solving;

/// <summary>
/// Where a run stands: the values a resumed run needs to continue exactly as if it had not stopped.
/// <see cref="OuterLosses"/> may be the run's growing list: only its first <see cref="OuterSteps"/> entries belong to
/// this position (so recording a position costs no copy).
/// </summary>
internal sealed record RunPosition(int Step, int OuterSteps, long TrainConsumed, long ValidationConsumed, IReadOnlyList<double> OuterLosses);

/// <summary>
/// Reads and writes run checkpoints: position, inner and outer variables (by name), inner and outer optimizer
/// state, and the hypergradient engine's state (warm start, Nyström sketch). Written to a temporary file and moved over the old one, so a crash while writing keeps the last one.
/// </summary>
internal static class CheckpointFile
{
    private const string Magic = "HYPERGRAD-CHECKPOINT";
    private const int Version = 2;

    public static void Write(string path, string problem, RunPosition position, ParameterSet inner, ParameterSet outer,
        OptimizerState? innerState, OuterOptimizer outerOptimizer, Action<BinaryWriter>? writeSolverState = null)
    {
        string temporary = path + ".tmp";
        using (var stream = File.Create(temporary))
        using (var writer = new BinaryWriter(stream))
        {
            writer.Write(Magic);
            writer.Write(Version);
            writer.Write(problem);
            writer.Write(position.Step);
            writer.Write(position.OuterSteps);
            writer.Write(position.TrainConsumed);
            writer.Write(position.ValidationConsumed);
            writer.Write(position.OuterSteps);
            for (int i = 0; i < position.OuterSteps; i++) writer.Write(position.OuterLosses[i]);
            WriteSet(writer, inner);
            WriteSet(writer, outer);
            writer.Write(innerState is not null);
            if (innerState is not null) WriteState(writer, innerState);
            outerOptimizer.Save(writer, outer);
            writeSolverState?.Invoke(writer);
        }
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Restores variables and optimizer states from <paramref name="path"/>; returns where the run stood.</summary>
    public static RunPosition Read(string path, string problem, ParameterSet inner, ParameterSet outer, OptimizerState? innerState, OuterOptimizer outerOptimizer,
        Action<BinaryReader>? readSolverState = null)
    {
        using var stream = File.OpenRead(path);
        using var reader = new BinaryReader(stream);
        if (reader.ReadString() != Magic || reader.ReadInt32() != Version)
            throw new HypergradException($"'{path}' is not a Hypergrad checkpoint of this version; delete it or pass another CheckpointPath.");
        string saved = reader.ReadString();
        if (saved != problem)
            throw new HypergradException($"The checkpoint '{path}' is of problem '{saved}', not '{problem}'; pass another CheckpointPath.");
        int step = reader.ReadInt32();
        int outerSteps = reader.ReadInt32();
        long train = reader.ReadInt64();
        long validation = reader.ReadInt64();
        var losses = Enumerable.Range(0, reader.ReadInt32()).Select(_ => reader.ReadDouble()).ToList();
        ReadSetInto(reader, inner, path, "inner");
        ReadSetInto(reader, outer, path, "outer");
        bool hasInnerState = reader.ReadBoolean();
        if (hasInnerState != innerState is not null)
            throw new HypergradException($"The checkpoint '{path}' was written with{(hasInnerState ? "" : "out")} an inner optimizer state but this run has{(innerState is null ? " none" : " one")}; resume with the same options.");
        if (innerState is not null) ReadStateInto(reader, innerState, "inner optimizer");
        outerOptimizer.Load(reader, outer);
        readSolverState?.Invoke(reader);
        return new RunPosition(step, outerSteps, train, validation, losses);
    }

    public static void WriteState(BinaryWriter writer, OptimizerState state)
    {
        writer.Write(state.Steps);
        writer.Write(state.ParameterCount);
        writer.Write(state.SlotNames.Count);
        for (int p = 0; p < state.ParameterCount; p++)
            foreach (var slot in state.SlotsOf(p))
                slot.detach().Save(writer);
    }

    public static void ReadStateInto(BinaryReader reader, OptimizerState state, string what)
    {
        int steps = reader.ReadInt32();
        int parameters = reader.ReadInt32();
        int slots = reader.ReadInt32();
        if (parameters != state.ParameterCount || slots != state.SlotNames.Count)
            throw new HypergradException($"The checkpoint's {what} state has {parameters} parameters × {slots} slots but this run's has {state.ParameterCount} × {state.SlotNames.Count}; resume with the same optimizer.");
        var tensors = new Tensor[parameters][];
        for (int p = 0; p < parameters; p++)
            tensors[p] = Enumerable.Range(0, slots).Select(_ => Tensor.Load(reader)).ToArray();
        state.CopyFrom(new OptimizerState(steps, state.SlotNames, tensors));
        foreach (var tensor in tensors.SelectMany(t => t)) tensor.Dispose();
    }

    private static void WriteSet(BinaryWriter writer, ParameterSet set)
    {
        writer.Write(set.Count);
        foreach (var (name, tensor) in set)
        {
            writer.Write(name);
            tensor.detach().Save(writer);
        }
    }

    private static void ReadSetInto(BinaryReader reader, ParameterSet set, string path, string level)
    {
        int count = reader.ReadInt32();
        if (count != set.Count)
            throw new HypergradException($"The checkpoint '{path}' has {count} {level} variables but the problem has {set.Count} ({string.Join(", ", set.Names)}); it is of another model.");
        using var noGrad = no_grad();
        foreach (var (name, tensor) in set)
        {
            string saved = reader.ReadString();
            using var value = Tensor.Load(reader);
            if (saved != name || !value.shape.SequenceEqual(tensor.shape))
                throw new HypergradException(
                    $"The checkpoint '{path}' holds {level} variable '{saved}' [{string.Join(", ", value.shape)}] where the problem has '{name}' [{string.Join(", ", tensor.shape)}]; it is of another model.");
            tensor.copy_(value);
        }
    }
}
