using Microsoft.Extensions.AI;

namespace SafeAlign.Evaluation;

/// <summary>What the <c>IChatClient</c> judges share: one system + user exchange, and bounded-concurrency fan-out.</summary>
internal static class ChatJudging
{
    /// <summary>The reply text to one system + user exchange.</summary>
    public static async Task<string> ReplyAsync(IChatClient client, string system, string user, ChatOptions? options, CancellationToken cancellationToken)
    {
        ChatMessage[] messages = [new(ChatRole.System, system), new(ChatRole.User, user)];
        // Options objects may be mutated by middleware; each call gets its own copy.
        var response = await client.GetResponseAsync(messages, options?.Clone(), cancellationToken).ConfigureAwait(false);
        return response.Text ?? "";
    }

    /// <summary>
    /// Runs <paramref name="body"/> for 0..count−1 with at most <paramref name="maxConcurrency"/> in flight; results in
    /// index order. The first failure cancels the rest and is the one rethrown.
    /// </summary>
    public static async Task<T[]> ForEachAsync<T>(int count, int maxConcurrency, Func<int, CancellationToken, Task<T>> body, CancellationToken cancellationToken)
    {
        var results = new T[count];
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = maxConcurrency, CancellationToken = cancellationToken },
            async (i, token) => results[i] = await body(i, token).ConfigureAwait(false)).ConfigureAwait(false);
        return results;
    }
}
