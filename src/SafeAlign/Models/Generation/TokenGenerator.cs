using static TorchSharp.torch;

namespace SafeAlign.Models.Generation;

/// <summary>
/// Batched autoregressive decoding for a <see cref="CausalLM"/>: prompts are left-padded into one batch,
/// positions follow the attention mask (so a padded row generates what it would alone), and each step
/// is greedy or samples with temperature, top-k and top-p from a seeded generator. With the KV cache
/// each step feeds one token per row; without it the whole sequence is recomputed (same tokens).
/// </summary>
public static class TokenGenerator
{
    /// <summary>Continues every prompt; results are in prompt order.</summary>
    /// <param name="model">The model (put in eval mode for the call).</param>
    /// <param name="prompts">Token ids per prompt, each non-empty.</param>
    /// <param name="options">Decoding settings.</param>
    /// <param name="padTokenId">Id used for left padding and after a row finishes.</param>
    /// <param name="decode">Turns generated ids into text; required when <see cref="GenerationOptions.StopStrings"/> is set.</param>
    /// <param name="cancellationToken">Checked before each step.</param>
    /// <param name="onToken">
    /// Called on the generating thread with (prompt index, token id) for every token appended to a result, as soon as it is
    /// chosen (end-of-sequence tokens are not reported): the hook for streaming.
    /// </param>
    public static IReadOnlyList<GenerationResult> Generate(CausalLM model, IReadOnlyList<IReadOnlyList<int>> prompts, GenerationOptions options,
        int padTokenId, Func<IReadOnlyList<int>, string>? decode = null, CancellationToken cancellationToken = default, Action<int, int>? onToken = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Validate(model, prompts, padTokenId);
        if (options.StopStrings.Count > 0 && decode is null)
            throw new ArgumentException("GenerationOptions.StopStrings is set, so a decode function is required.", nameof(decode));

        int batch = prompts.Count, promptLength = prompts.Max(p => p.Count);
        var eos = (options.EosTokenIds?.AsEnumerable() ?? model.Config.EosTokenIds).ToHashSet();
        var rows = prompts.Select(p => Enumerable.Repeat((long)padTokenId, promptLength - p.Count).Concat(p.Select(t => (long)t)).ToList()).ToArray();
        var real = prompts.Select(p => Enumerable.Repeat(0L, promptLength - p.Count).Concat(Enumerable.Repeat(1L, p.Count)).ToList()).ToArray();
        var generated = prompts.Select(_ => new List<int>()).ToArray();
        var reasons = new FinishReason?[batch];
        var generator = new Generator((ulong)options.Seed);
        bool wasTraining = model.training;
        model.eval();
        using var cache = options.UseCache ? new KvCache(model.Config.NumHiddenLayers) : null;
        try
        {
            using var noGrad = no_grad();
            for (int step = 0; step < options.MaxNewTokens && reasons.Any(r => r is null); step++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                int width = rows[0].Count, fed = cache is null || step == 0 ? width : 1;
                var ids = HostTensor(rows, width - fed, fed, model.Device);
                var mask = HostTensor(real, 0, width, model.Device);
                // Only the last position's logits are used: the prompt's other positions skip the LM head.
                var hidden = model.HiddenStates(ids, mask, cache: cache);                           // (B, fed, H)
                var last = hidden.narrow(1, hidden.shape[1] - 1, 1);                                // (B, 1, H)
                var logits = model.Logits(last).squeeze(1).to(float32);                             // (B, V)
                long[] next = Select(logits, options, generator).cpu().data<long>().ToArray();
                for (int b = 0; b < batch; b++)
                {
                    bool active = reasons[b] is null;
                    if (active)
                    {
                        reasons[b] = Advance(generated[b], (int)next[b], eos, options, decode);
                        if (reasons[b] is not FinishReason.EndOfSequence)
                            onToken?.Invoke(b, (int)next[b]);
                    }
                    rows[b].Add(active ? next[b] : padTokenId);
                    real[b].Add(1);
                }
            }
        }
        finally
        {
            model.train(wasTraining);
        }
        return generated.Select((g, b) => new GenerationResult(g.ToArray(), reasons[b] ?? FinishReason.Length)).ToList();
    }

    private static FinishReason? Advance(List<int> tokens, int next, HashSet<int> eos, GenerationOptions options, Func<IReadOnlyList<int>, string>? decode)
    {
        if (eos.Contains(next))
            return FinishReason.EndOfSequence;
        tokens.Add(next);
        if (options.StopStrings.Count > 0)
        {
            string text = decode!(tokens);
            if (options.StopStrings.Any(s => text.Contains(s, StringComparison.Ordinal)))
                return FinishReason.StopString;
        }
        return null;
    }

    // Greedy argmax, or temperature → top-k → top-p → multinomial, all on device. logits: (B, V) fp32.
    internal static Tensor Select(Tensor logits, GenerationOptions options, Generator generator)
    {
        if (!options.DoSample)
            return logits.argmax(-1);
        var scores = logits / options.Temperature;
        if (options.TopK > 0 && options.TopK < scores.shape[^1])
        {
            var kth = scores.topk(options.TopK, dim: -1).values.narrow(-1, options.TopK - 1, 1); // (B, 1)
            scores = scores.masked_fill(scores.lt(kth), double.NegativeInfinity);
        }
        if (options.TopP < 1)
        {
            var (sorted, order) = scores.sort(-1, descending: true);
            var probs = sorted.softmax(-1);
            var before = probs.cumsum(-1) - probs;           // mass strictly ahead of each token
            var drop = before.gt(options.TopP);               // the first token is always kept
            scores = scores.scatter(-1, order, sorted.masked_fill(drop, double.NegativeInfinity));
        }
        return scores.softmax(-1).multinomial(1, generator: generator).squeeze(-1);
    }

    private static Tensor HostTensor(List<long>[] rows, int start, int count, Device device)
    {
        var flat = new long[rows.Length * count];
        for (int b = 0; b < rows.Length; b++)
            rows[b].CopyTo(start, flat, b * count, count);
        return tensor(flat, [rows.Length, count], device: device);
    }

    private static void Validate(CausalLM model, IReadOnlyList<IReadOnlyList<int>> prompts, int padTokenId)
    {
        if (prompts.Count == 0)
            throw new ArgumentException("No prompts were given.", nameof(prompts));
        int vocab = model.Config.VocabSize;
        if (padTokenId < 0 || padTokenId >= vocab)
            throw new ArgumentOutOfRangeException(nameof(padTokenId), $"Pad id {padTokenId} is outside the vocabulary [0, {vocab}).");
        for (int i = 0; i < prompts.Count; i++)
        {
            if (prompts[i] is null || prompts[i].Count == 0)
                throw new ArgumentException($"Prompt {i} is empty.", nameof(prompts));
            if (prompts[i].Any(t => t < 0 || t >= vocab))
                throw new ArgumentException($"Prompt {i} holds token id {prompts[i].First(t => t < 0 || t >= vocab)}, outside the vocabulary [0, {vocab}).", nameof(prompts));
        }
    }
}
