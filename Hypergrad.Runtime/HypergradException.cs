using System;

namespace Hypergrad;

/// <summary>
/// Raised instead of letting libtorch abort the process or a computation go silently wrong.
/// The message always names the member or variable at fault, the problem, and the fix.
/// </summary>
public class HypergradException : Exception
{
    /// <summary>Creates the exception with a message that names the member, the problem and the fix.</summary>
    public HypergradException(string message) : base(message) { }

    /// <summary>Creates the exception wrapping the underlying error.</summary>
    public HypergradException(string message, Exception inner) : base(message, inner) { }
}
