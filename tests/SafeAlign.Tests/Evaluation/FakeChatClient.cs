using System.Collections.Concurrent;
using Microsoft.Extensions.AI;

namespace SafeAlign.Tests.Evaluation;

/// <summary>
/// An <see cref="IChatClient"/> with scripted replies: records every request and the peak number in flight. With
/// <paramref name="holdUntilInFlight"/> &gt; 0 the first requests wait (up to 10 s) until that many are in flight at once,
/// so a concurrency test does not depend on how fast a busy thread pool starts the caller's workers.
/// </summary>
internal sealed class FakeChatClient(Func<string, string, string> reply, int delayMs = 0, int holdUntilInFlight = 0) : IChatClient
{
    private readonly TaskCompletionSource _enoughInFlight = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _inFlight;
    private int _peak;

    /// <summary>(system, user) of every request, in arrival order.</summary>
    public ConcurrentQueue<(string System, string User)> Requests { get; } = new();

    public int PeakInFlight => Volatile.Read(ref _peak);

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var list = messages.ToList();
        string system = list.Single(m => m.Role == ChatRole.System).Text;
        string user = list.Single(m => m.Role == ChatRole.User).Text;
        Requests.Enqueue((system, user));
        int now = Interlocked.Increment(ref _inFlight);
        int peak;
        while (now > (peak = Volatile.Read(ref _peak)) && Interlocked.CompareExchange(ref _peak, now, peak) != peak)
        {
        }
        if (now >= holdUntilInFlight)
            _enoughInFlight.TrySetResult();
        try
        {
            if (holdUntilInFlight > 0)
                await Task.WhenAny(_enoughInFlight.Task, Task.Delay(TimeSpan.FromSeconds(10), cancellationToken));
            if (delayMs > 0)
                await Task.Delay(delayMs, cancellationToken);
            cancellationToken.ThrowIfCancellationRequested();
            return new ChatResponse(new ChatMessage(ChatRole.Assistant, reply(system, user)));
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException();

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }
}
