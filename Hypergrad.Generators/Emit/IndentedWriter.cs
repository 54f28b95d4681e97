using System;
using System.Text;

namespace Hypergrad.Generators.Emit;

/// <summary>Writes source text line by line with four-space indentation; <see cref="Block"/> opens a braced scope.</summary>
internal sealed class IndentedWriter
{
    private readonly StringBuilder text = new();
    private int depth;

    /// <summary>Writes one line at the current indentation (an empty line has no trailing spaces).</summary>
    public IndentedWriter Line(string line = "")
    {
        if (line.Length > 0) text.Append(' ', depth * 4).Append(line);
        text.Append('\n');
        return this;
    }

    /// <summary>Writes <paramref name="opening"/> and "{", indents, and closes with "}" (plus <paramref name="closingSuffix"/>) on dispose.</summary>
    public IDisposable Block(string? opening = null, string closingSuffix = "")
    {
        if (opening is not null) Line(opening);
        Line("{");
        depth++;
        return new Closer(this, closingSuffix);
    }

    /// <summary>Indents the lines written until the returned scope is disposed (no braces).</summary>
    public IDisposable Indent()
    {
        depth++;
        return new Closer(this, null);
    }

    public override string ToString() => text.ToString();

    private sealed class Closer(IndentedWriter writer, string? closingSuffix) : IDisposable
    {
        public void Dispose()
        {
            writer.depth--;
            if (closingSuffix is not null) writer.Line("}" + closingSuffix);
        }
    }
}
