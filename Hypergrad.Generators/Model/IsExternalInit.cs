// netstandard2.0 lacks this marker type; records (the equatable models) need it.
namespace System.Runtime.CompilerServices;

internal static class IsExternalInit
{
}
