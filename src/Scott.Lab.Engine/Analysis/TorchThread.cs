using System.Collections.Concurrent;

namespace Scott.Lab.Engine.Analysis;

/// <summary>
/// Runs work items one at a time, in order, on one dedicated thread. TorchSharp's dispose scopes are thread-static
/// and do not survive an <c>await</c>, and a libtorch module must not run on two threads at once, so every model a
/// <see cref="MapRenderer"/> holds is created, used and disposed on this thread only.
/// Hand-written because .NET has no single-thread scheduler: ConcurrentExclusiveSchedulerPair serialises work but
/// runs it on whichever pool thread is free.
/// </summary>
public sealed class TorchThread : IDisposable
{
    private readonly BlockingCollection<Action> _work = new();
    private readonly Thread _thread;

    public TorchThread(string name)
    {
        _thread = new Thread(Loop) { IsBackground = true, Name = name };
        _thread.Start();
    }

    /// <summary>True on the queue's own thread (work items run there).</summary>
    public bool IsCurrent => Thread.CurrentThread == _thread;

    /// <summary>Queues <paramref name="work"/>; the task completes with its result or exception. Cancellation before it starts skips it.</summary>
    public Task<T> Run<T>(Func<T> work, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested) return Task.FromCanceled<T>(cancellationToken);
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        try
        {
            _work.Add(() =>
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    done.TrySetCanceled(cancellationToken);
                    return;
                }
                try { done.TrySetResult(work()); }
                catch (Exception e) { done.TrySetException(e); }
            });
        }
        catch (InvalidOperationException) // CompleteAdding was called: the owner is disposed
        {
            throw new ObjectDisposedException(_thread.Name);
        }
        return done.Task;
    }

    private void Loop()
    {
        foreach (var item in _work.GetConsumingEnumerable()) item();
    }

    /// <summary>Finishes the queued work, then stops the thread.</summary>
    private int _disposed;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _work.CompleteAdding();
        if (!IsCurrent) _thread.Join(TimeSpan.FromSeconds(30));
        _work.Dispose();
    }
}
