using System.Runtime.ExceptionServices;

namespace SafeAlign.Native;

/// <summary>
/// Runs long tensor work on a thread of its own that ends with the work.
/// </summary>
/// <remarks>
/// Two reasons. Tensor dispose scopes are per thread, so a loop's scopes must not mix with the caller's. And libtorch's
/// CPU kernels run on OpenMP (libgomp), whose worker team belongs to the native thread that started it and lives as
/// long as that thread: once more threads hold teams than there are cores, libgomp cuts every team's spin-wait to a
/// few hundred spins, so each kernel's workers sleep and wake through the kernel. Training a world base model on an
/// app's main thread and then aligning on another thread measured 23.5–29.8 s against 15.5–18.5 s for the same alignment
/// (2 cores; docs/performance.md). A thread that ends takes its team with it.
/// The caller's continuation after <see cref="RunAsync{T}"/> runs on the thread pool, never on the compute thread, so
/// that thread (and its team) ends before the caller's next job starts one.
/// Work already on a compute thread runs inline, so nested calls (a scorer that trains its references) stay on one team.
/// </remarks>
internal static class ComputeThread
{
    [ThreadStatic]
    private static bool t_onComputeThread;

    /// <summary>Whether the calling thread is a compute thread started here.</summary>
    public static bool IsCurrent => t_onComputeThread;

    /// <summary>Runs <paramref name="work"/> on a new compute thread and waits for it (inline when already on one).</summary>
    /// <exception cref="Exception">Whatever <paramref name="work"/> throws, with its original stack trace.</exception>
    public static T Run<T>(Func<T> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        if (t_onComputeThread)
            return work();
        T result = default!;
        ExceptionDispatchInfo? failure = null;
        Start(() =>
        {
            try
            {
                result = work();
            }
            catch (Exception e)
            {
                failure = ExceptionDispatchInfo.Capture(e);
            }
        }).Join();
        failure?.Throw();
        return result;
    }

    /// <summary>Runs <paramref name="work"/> on a new compute thread and waits for it (inline when already on one).</summary>
    /// <exception cref="Exception">Whatever <paramref name="work"/> throws, with its original stack trace.</exception>
    public static void Run(Action work)
    {
        ArgumentNullException.ThrowIfNull(work);
        Run(() =>
        {
            work();
            return true;
        });
    }

    /// <summary>Starts <paramref name="work"/> on a new compute thread (inline, completed, when already on one).</summary>
    public static Task<T> RunAsync<T>(Func<T> work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        if (cancellationToken.IsCancellationRequested)
            return Task.FromCanceled<T>(cancellationToken);
        // The caller's continuation runs on the thread pool, not inline on the compute thread: an awaiting caller that ran
        // there would keep the thread, and with it the work's OpenMP team, alive through whatever it does next.
        var completion = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (t_onComputeThread)
            Complete(completion, work, cancellationToken);
        else
            Start(() => Complete(completion, work, cancellationToken));
        return completion.Task;
    }

    private static void Complete<T>(TaskCompletionSource<T> completion, Func<T> work, CancellationToken cancellationToken)
    {
        try
        {
            completion.SetResult(work());
        }
        catch (OperationCanceledException e) when (e.CancellationToken == cancellationToken)
        {
            completion.SetCanceled(cancellationToken);
        }
        catch (Exception e)
        {
            completion.SetException(e);
        }
    }

    private static Thread Start(Action body)
    {
        var thread = new Thread(() =>
        {
            t_onComputeThread = true;
            body();
        })
        {
            IsBackground = true,
            Name = "SafeAlign compute",
        };
        thread.Start();
        return thread;
    }
}
