namespace Scott.Lab.Engine.Analysis;

/// <summary>
/// A least-recently-used cache bounded by an entry count and a byte budget, evicting synchronously as it adds.
/// Hand-written rather than Microsoft.Extensions.Caching.Memory: MemoryCache compacts in the background and refuses
/// new entries while over its size limit, and its eviction callbacks run on pool threads, whereas an evicted model
/// must be disposed on the torch thread that adds to this cache. Thread-safe.
/// </summary>
public sealed class LruCache<TKey, TValue>(int maxEntries, long maxBytes, Func<TValue, long> sizeOf, Action<TValue>? evicted = null)
    where TKey : notnull
{
    private readonly Dictionary<TKey, LinkedListNode<(TKey Key, TValue Value, long Bytes)>> _index = new();
    private readonly LinkedList<(TKey Key, TValue Value, long Bytes)> _order = new(); // most recent first
    private readonly object _gate = new();

    public int Count { get { lock (_gate) return _index.Count; } }
    public long Bytes { get; private set; }
    public int Hits { get; private set; }
    public int Misses { get; private set; }

    public bool TryGet(TKey key, out TValue value)
    {
        lock (_gate)
        {
            if (_index.TryGetValue(key, out var node))
            {
                _order.Remove(node);
                _order.AddFirst(node);
                value = node.Value.Value;
                Hits++;
                return true;
            }
            Misses++;
            value = default!;
            return false;
        }
    }

    /// <summary>
    /// Adds or replaces; then evicts the least recently used entries until within both bounds. Returns false when
    /// the value alone is larger than the whole budget: it is not kept (nor passed to the eviction callback).
    /// </summary>
    public bool Add(TKey key, TValue value)
    {
        var dropped = new List<TValue>();
        long bytes = sizeOf(value);
        lock (_gate)
        {
            if (_index.Remove(key, out var old))
            {
                _order.Remove(old);
                Bytes -= old.Value.Bytes;
                if (!ReferenceEquals(old.Value.Value, value)) dropped.Add(old.Value.Value);
            }
            if (bytes <= maxBytes)
            {
                _index[key] = _order.AddFirst((key, value, bytes));
                Bytes += bytes;
                while (_index.Count > maxEntries || Bytes > maxBytes)
                {
                    var last = _order.Last!;
                    _order.RemoveLast();
                    _index.Remove(last.Value.Key);
                    Bytes -= last.Value.Bytes;
                    dropped.Add(last.Value.Value);
                }
            }
        }
        if (evicted is not null) foreach (var gone in dropped) evicted(gone);
        return bytes <= maxBytes;
    }

    /// <summary>Removes every entry (each goes through the eviction callback).</summary>
    public void Clear()
    {
        List<TValue> all;
        lock (_gate)
        {
            all = _order.Select(e => e.Value).ToList();
            _order.Clear();
            _index.Clear();
            Bytes = 0;
        }
        if (evicted is not null) foreach (var value in all) evicted(value);
    }
}
