using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
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
/// Reads and writes run checkpoints: position, the settings fingerprint, the run's certificate summary, inner and
/// outer variables (by name), inner and outer optimizer state, and the hypergradient engine's state (warm start,
/// Nyström sketch). The file is a header (magic, version, payload length,
/// SHA-256 of the payload) and the payload, so a truncated or corrupted file is refused by name instead of resumed
/// into a wrong state. Written to a temporary file and moved over the old one, so a crash while writing keeps the
/// last one.
/// </summary>
internal static class CheckpointFile
{
    private const string Magic = "HYPERGRAD-CHECKPOINT";
    private const int Version = 4;

    /// <summary>
    /// Refuses a checkpoint path that cannot be written, before the run's first step (rather than failing after it,
    /// on the temporary file). Creates the folder if it is missing.
    /// </summary>
    public static void CheckWritable(string path)
    {
        string temporary = path + ".tmp";
        try
        {
            string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
            if (!string.IsNullOrEmpty(folder)) Directory.CreateDirectory(folder);
            if (Directory.Exists(path)) throw new IOException("it is a folder");
            using (File.Create(temporary)) { }
            File.Delete(temporary);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            throw new HypergradException(
                $"BilevelOptions.CheckpointPath '{path}' cannot be written ({error.Message}); pass a path in a writable folder, or null to run without checkpoints.", error);
        }
    }

    public static void Write(string path, string problem, RunPosition position, SettingsFingerprint settings, RunSummary summary,
        ParameterSet inner, ParameterSet outer, OptimizerState? innerState, OuterOptimizer outerOptimizer,
        Action<BinaryWriter>? writeSolverState = null)
    {
        using var payload = new MemoryStream();
        using (var writer = new BinaryWriter(payload, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(problem);
            settings.Write(writer);
            writer.Write(position.Step);
            writer.Write(position.OuterSteps);
            writer.Write(position.TrainConsumed);
            writer.Write(position.ValidationConsumed);
            writer.Write(position.OuterSteps);
            for (int i = 0; i < position.OuterSteps; i++) writer.Write(position.OuterLosses[i]);
            summary.Write(writer);
            WriteSet(writer, inner);
            WriteSet(writer, outer);
            writer.Write(innerState is not null);
            if (innerState is not null) WriteState(writer, innerState);
            outerOptimizer.Save(writer, outer);
            writeSolverState?.Invoke(writer);
        }
        byte[] bytes = payload.ToArray();

        string temporary = path + ".tmp";
        using (var stream = File.Create(temporary))
        using (var writer = new BinaryWriter(stream))
        {
            writer.Write(Magic);
            writer.Write(Version);
            writer.Write((long)bytes.Length);
            writer.Write(SHA256.HashData(bytes));
            writer.Write(bytes);
            writer.Flush();
            stream.Flush(flushToDisk: true);
        }
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>
    /// Restores variables, optimizer states, the run summary and the engine's state from <paramref name="path"/>;
    /// returns where the run stood. Nothing is restored when the file is refused (damaged, of another problem, or of
    /// other settings).
    /// </summary>
    public static RunPosition Read(string path, string problem, SettingsFingerprint settings, bool allowSettingsChange, RunSummary summary,
        ParameterSet inner, ParameterSet outer, OptimizerState? innerState, OuterOptimizer outerOptimizer,
        Action<BinaryReader>? readSolverState = null)
    {
        using var reader = new BinaryReader(new MemoryStream(ReadVerifiedPayload(path), writable: false));
        string saved = reader.ReadString();
        if (saved != problem)
            throw new HypergradException($"The checkpoint '{path}' is of problem '{saved}', not '{problem}'; pass another CheckpointPath.");
        var differences = settings.DifferencesFrom(SettingsFingerprint.Read(reader));
        if (differences.Count > 0 && !allowSettingsChange)
            throw new HypergradException(
                $"The checkpoint '{path}' was written under other settings than this run's:{Environment.NewLine}  " +
                string.Join(Environment.NewLine + "  ", differences) + Environment.NewLine +
                "Resume with the checkpoint's settings, delete the checkpoint (or pass another CheckpointPath) to start afresh, " +
                "or set BilevelOptions.AllowSettingsChange = true to continue this run under the new settings on purpose.");
        int step = reader.ReadInt32();
        int outerSteps = reader.ReadInt32();
        long train = reader.ReadInt64();
        long validation = reader.ReadInt64();
        var losses = Enumerable.Range(0, reader.ReadInt32()).Select(_ => reader.ReadDouble()).ToList();
        summary.Read(reader);
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

    /// <summary>The payload of the checkpoint at <paramref name="path"/>, after checking its header, length and checksum.</summary>
    private static byte[] ReadVerifiedPayload(string path)
    {
        const string delete = "Delete it (or pass another CheckpointPath) to start afresh.";
        byte[] file = File.ReadAllBytes(path);
        if (file.Length == 0) throw new HypergradException($"The checkpoint '{path}' is truncated: it is empty. {delete}");
        using var reader = new BinaryReader(new MemoryStream(file, writable: false));
        string magic;
        int version;
        long length;
        byte[] hash;
        try
        {
            magic = reader.ReadString();
            if (magic != Magic)
                throw new HypergradException($"'{path}' is not a Hypergrad checkpoint (or its header is corrupted). {delete}");
            version = reader.ReadInt32();
            if (version != Version)
                throw new HypergradException($"The checkpoint '{path}' is of format version {version}, this Hypergrad reads version {Version}. {delete}");
            length = reader.ReadInt64();
            hash = reader.ReadBytes(32);
            if (hash.Length < 32) throw new EndOfStreamException();
        }
        catch (EndOfStreamException)
        {
            throw new HypergradException($"The checkpoint '{path}' is truncated: its {file.Length} bytes end inside the header. {delete}");
        }
        long available = file.Length - reader.BaseStream.Position;
        if (length < 0 || available < length)
            throw new HypergradException($"The checkpoint '{path}' is truncated: it holds {available} of its {length} bytes of data. {delete}");
        if (available > length)
            throw new HypergradException($"The checkpoint '{path}' is corrupted: {available - length} bytes follow its {length} bytes of data. {delete}");
        var payload = new byte[length];
        Array.Copy(file, reader.BaseStream.Position, payload, 0, length);
        if (!SHA256.HashData(payload).AsSpan().SequenceEqual(hash))
            throw new HypergradException($"The checkpoint '{path}' is corrupted: its checksum does not match its contents (a byte changed after it was written). {delete}");
        return payload;
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
