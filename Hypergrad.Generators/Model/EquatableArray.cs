using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;

namespace Hypergrad.Generators.Model;

/// <summary>
/// An immutable array compared by its elements, so that pipeline models holding it are equal when their
/// contents are (arrays compare by reference, which would defeat the generator's caching).
/// </summary>
internal readonly struct EquatableArray<T> : IEquatable<EquatableArray<T>>, IEnumerable<T>
{
    private static readonly EqualityComparer<T> Comparer = EqualityComparer<T>.Default;

    private readonly T[]? items;

    public EquatableArray(IEnumerable<T> items) => this.items = items.ToArray();

    public static EquatableArray<T> Empty => new(Array.Empty<T>());

    public int Count => items?.Length ?? 0;

    public T this[int index] => (items ?? Array.Empty<T>())[index];

    public bool Equals(EquatableArray<T> other)
    {
        ReadOnlySpan<T> mine = AsSpan(), theirs = other.AsSpan();
        if (mine.Length != theirs.Length) return false;
        for (int i = 0; i < mine.Length; i++)
            if (!Comparer.Equals(mine[i], theirs[i])) return false;
        return true;
    }

    public override bool Equals(object? obj) => obj is EquatableArray<T> other && Equals(other);

    public override int GetHashCode()
    {
        unchecked
        {
            int hash = 17;
            foreach (var item in AsSpan()) hash = hash * 31 + (item is null ? 0 : Comparer.GetHashCode(item));
            return hash;
        }
    }

    public ReadOnlySpan<T> AsSpan() => items ?? Array.Empty<T>();

    public IEnumerator<T> GetEnumerator() => ((IEnumerable<T>)(items ?? Array.Empty<T>())).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public static bool operator ==(EquatableArray<T> left, EquatableArray<T> right) => left.Equals(right);

    public static bool operator !=(EquatableArray<T> left, EquatableArray<T> right) => !left.Equals(right);
}
