namespace Hypergrad.Misuse.Tests;

/// <summary>The assertion every case ends in.</summary>
public static class Expect
{
    /// <summary>
    /// <paramref name="act"/> throws a <see cref="HypergradException"/> whose message contains every keyword
    /// (case-insensitive; "a|b" accepts either).
    /// </summary>
    public static HypergradException Refused(Action act, params string[] keywords)
    {
        try
        {
            act();
        }
        catch (HypergradException e)
        {
            foreach (var keyword in keywords)
                if (!keyword.Split('|').Any(k => e.Message.Contains(k, StringComparison.OrdinalIgnoreCase)))
                    throw new Exception($"The HypergradException does not mention '{keyword}': {e.Message}");
            return e;
        }
        catch (Exception e)
        {
            throw new Exception($"Expected a HypergradException mentioning {string.Join(", ", keywords)} but got {e.GetType().Name}: {e.Message}", e);
        }
        throw new Exception($"Expected a HypergradException mentioning {string.Join(", ", keywords)}, but the call succeeded.");
    }

    /// <summary>Like <see cref="Refused"/>, and the user's original exception is the InnerException.</summary>
    public static void Wrapped<TInner>(Action act, params string[] keywords) where TInner : Exception
    {
        var e = Refused(act, keywords);
        if (e.InnerException is not TInner)
            throw new Exception($"Expected the original {typeof(TInner).Name} as InnerException but got {e.InnerException?.GetType().Name ?? "none"}: {e.Message}");
    }

    public static void True(bool condition, string what)
    {
        if (!condition) throw new Exception(what);
    }
}
