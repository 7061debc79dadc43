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
        var thread = new Thread(() =>
        {
            t_onComputeThread = true;
            try
            {
                result = work();
            }
            catch (Exception e)
            {
                failure = ExceptionDispatchInfo.Capture(e);
            }
        })
        {
            IsBackground = true,
            Name = "SafeAlign compute",
        };
        thread.Start();
        thread.Join();
        failure?.Throw();
        return result;
    }

    /// <summary>Starts <paramref name="work"/> on a new compute thread (inline, completed, when already on one).</summary>
    public static Task<T> RunAsync<T>(Func<T> work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        if (t_onComputeThread)
        {
            try
            {
                cancellationToken.ThrowIfCancellationRequested();
                return Task.FromResult(work());
            }
            catch (OperationCanceledException e) when (e.CancellationToken == cancellationToken)
            {
                return Task.FromCanceled<T>(cancellationToken);
            }
            catch (Exception e)
            {
                return Task.FromException<T>(e);
            }
        }
        // LongRunning gives the task a dedicated thread that ends with it.
        return Task.Factory.StartNew(() =>
        {
            t_onComputeThread = true;
            try
            {
                return work();
            }
            finally
            {
                // An awaiting caller's continuation may run inline on this thread once the task completes; it must not
                // take the thread for a compute thread (its later Run calls would run inline on a thread about to end).
                t_onComputeThread = false;
            }
        }, cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }
}
