using SafeAlign.Tokenization.Templates;

namespace SafeAlign.Chat;

/// <summary>Settings of a <see cref="SafeAlignChatClient"/>; per-request settings come from <c>ChatOptions</c>.</summary>
public sealed class SafeAlignChatClientOptions
{
    /// <summary>
    /// The model id reported in responses and in <c>ChatClientMetadata</c>; null (default) reports
    /// <c>safealign-{architecture}</c>, e.g. <c>safealign-llama</c>.
    /// </summary>
    public string? ModelId { get; set; }

    /// <summary>
    /// The prompt format; null (default) takes the tokenizer's <c>chat_template</c> (<see cref="ChatTemplates.FromConfig"/>), or the
    /// Alpaca format when the tokenizer has none (the world models and the harmful fine-tuning papers use it).
    /// </summary>
    public IChatTemplate? Template { get; set; }

    /// <summary>Most tokens generated when a request sets no <c>MaxOutputTokens</c> (default 256).</summary>
    public int DefaultMaxOutputTokens { get; set; } = 256;

    /// <summary>Seed of the sampling generator when a request samples (temperature above 0) and sets no <c>Seed</c> (default 0).</summary>
    public long DefaultSeed { get; set; }

    /// <summary>Reuse keys/values of earlier positions while decoding (default true; the output is the same either way).</summary>
    public bool UseCache { get; set; } = true;

    /// <summary>Checks every setting; returns this.</summary>
    /// <exception cref="ArgumentException">A setting is out of range.</exception>
    public SafeAlignChatClientOptions Validate()
    {
        if (ModelId is not null && string.IsNullOrWhiteSpace(ModelId))
            throw new ArgumentException("SafeAlignChatClientOptions.ModelId is blank; expected a model id or null.");
        if (DefaultMaxOutputTokens < 1)
            throw new ArgumentException($"SafeAlignChatClientOptions.DefaultMaxOutputTokens is {DefaultMaxOutputTokens}; expected at least 1.");
        return this;
    }
}
