using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace SafeAlign.Tokenization.Templates;

/// <summary>
/// Builds supervised fine-tuning examples from (conversation, response) with a template and a tokenizer,
/// so that only response tokens carry labels.
/// </summary>
/// <remarks>
/// The prompt is the conversation rendered with the generation prompt; the full text is the conversation
/// plus the assistant response. Both are tokenized (as in the Stanford Alpaca <c>preprocess</c> that the
/// harmful-fine-tuning papers reuse) and the prompt length is the common prefix of the two id lists, so a
/// merge across the boundary never labels a prompt token. Truncation to <c>maxLength</c> cuts only the
/// response's tail; when the prompt leaves fewer than <c>minResponseTokens</c> response tokens the example is
/// refused: <see cref="Build"/> throws, <see cref="BuildAll"/> drops it and reports the count (and logs it).
/// </remarks>
public sealed class TrainingExampleBuilder
{
    /// <summary>The label of tokens that take no loss (PyTorch's <c>ignore_index</c>).</summary>
    public const int IgnoreIndex = TokenizedExample.IgnoreIndex;

    private readonly HfTokenizer _tokenizer;
    private readonly IChatTemplate _template;
    private readonly int _maxLength;
    private readonly int _minResponseTokens;
    private readonly ILogger _logger;

    /// <summary>Creates a builder.</summary>
    /// <param name="tokenizer">The model's tokenizer.</param>
    /// <param name="template">The prompt format.</param>
    /// <param name="maxLength">Maximum ids per example; null uses the tokenizer's <c>model_max_length</c> (or no limit).</param>
    /// <param name="minResponseTokens">Fewest response ids an example may keep after truncation. Default 1.</param>
    /// <param name="logger">Receives a warning per dropped example.</param>
    public TrainingExampleBuilder(HfTokenizer tokenizer, IChatTemplate template, int? maxLength = null, int minResponseTokens = 1, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(template);
        if (maxLength is < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, "maxLength must be at least 2");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(minResponseTokens, 1);
        _tokenizer = tokenizer;
        _template = template;
        _maxLength = maxLength ?? tokenizer.Config.ModelMaxLength ?? int.MaxValue;
        _minResponseTokens = minResponseTokens;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>Builds one example; <paramref name="conversation"/> ends with a user turn, <paramref name="response"/> is the assistant's answer.</summary>
    /// <exception cref="ArgumentException">The prompt leaves fewer than the minimum response tokens within the maximum length.</exception>
    public TrainingExample Build(IReadOnlyList<ChatMessage> conversation, string response) =>
        TryBuild(conversation, response, out TrainingExample? example, out int promptLength)
            ? example
            : throw new ArgumentException($"the prompt has {promptLength} tokens, leaving fewer than {_minResponseTokens} response tokens within {_maxLength}; shorten the prompt or raise maxLength", nameof(conversation));

    /// <summary>Builds an Alpaca-style example from an instruction, optional input and output.</summary>
    /// <exception cref="InvalidOperationException">The builder's template is not <see cref="AlpacaTemplate"/>.</exception>
    public TrainingExample BuildInstruction(string instruction, string? input, string output)
    {
        ArgumentNullException.ThrowIfNull(instruction);
        ArgumentNullException.ThrowIfNull(output);
        if (_template is not AlpacaTemplate)
        {
            throw new InvalidOperationException($"BuildInstruction needs the alpaca template; this builder uses '{_template.Name}'");
        }

        string prompt = AlpacaTemplate.RenderPrompt(instruction, input);
        return TryBuildFromText(prompt, prompt + output, out TrainingExample? example, out int promptLength)
            ? example
            : throw new ArgumentException($"the prompt has {promptLength} tokens, leaving fewer than {_minResponseTokens} response tokens within {_maxLength}", nameof(instruction));
    }

    /// <summary>Builds many examples, dropping (and counting) those whose prompt leaves no room for the response.</summary>
    public TrainingExampleBatch BuildAll(IEnumerable<(IReadOnlyList<ChatMessage> Conversation, string Response)> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        var examples = new List<TrainingExample>();
        int dropped = 0;
        foreach (var (conversation, response) in items)
        {
            if (TryBuild(conversation, response, out TrainingExample? example, out int promptLength))
            {
                examples.Add(example);
                continue;
            }

            dropped++;
            Log.ExampleDropped(_logger, promptLength, _maxLength);
        }

        return new TrainingExampleBatch(examples, dropped, examples.Count(e => e.ResponseTruncated));
    }

    private bool TryBuild(IReadOnlyList<ChatMessage> conversation, string response, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out TrainingExample? example, out int promptLength)
    {
        ArgumentNullException.ThrowIfNull(conversation);
        ArgumentNullException.ThrowIfNull(response);
        if (conversation.Count == 0 || conversation[^1].Role != ChatRole.User)
        {
            throw new ArgumentException("the conversation must end with a user turn", nameof(conversation));
        }

        string prompt = _template.Render(conversation, addGenerationPrompt: true);
        string full = _template.Render([.. conversation, ChatMessage.Assistant(response)], addGenerationPrompt: false);
        if (!full.StartsWith(prompt, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"template '{_template.Name}' renders a prompt that is not a prefix of the full conversation; it cannot be used for response-only labels");
        }

        return TryBuildFromText(prompt, full, out example, out promptLength);
    }

    private bool TryBuildFromText(string prompt, string full, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out TrainingExample? example, out int promptLength)
    {
        int[] promptIds = EncodeRendered(_tokenizer, _template, prompt);
        var fullIds = EncodeRendered(_tokenizer, _template, full).ToList();
        if (_template.NeedsEosAfterResponse && _tokenizer.EosId is int eos)
        {
            fullIds.Add(eos);
        }

        promptLength = 0;
        while (promptLength < promptIds.Length && promptLength < fullIds.Count && promptIds[promptLength] == fullIds[promptLength])
        {
            promptLength++;
        }

        int responseLength = fullIds.Count - promptLength;
        int room = _maxLength - promptLength;
        if (room < Math.Min(_minResponseTokens, Math.Max(responseLength, 1)))
        {
            example = null;
            return false;
        }

        bool truncated = responseLength > room;
        if (truncated)
        {
            fullIds.RemoveRange(_maxLength, fullIds.Count - _maxLength);
        }

        int[] ids = [.. fullIds];
        int[] labels = new int[ids.Length];
        for (int i = 0; i < ids.Length; i++)
        {
            labels[i] = i < promptLength ? IgnoreIndex : ids[i];
        }

        example = new TrainingExample(ids, labels, promptLength, truncated);
        return true;
    }

    /// <summary>
    /// The ids of text rendered by <paramref name="template"/>, as training and generation feed them: the tokenizer's
    /// prefix (BOS) unless the template writes it itself, and never a suffix.
    /// </summary>
    internal static int[] EncodeRendered(HfTokenizer tokenizer, IChatTemplate template, string text)
    {
        // Only the prefix (BOS) is wanted: an EOS from the post-processor would sit between prompt and response.
        int[] content = tokenizer.Encode(text, addSpecialTokens: false);
        return template.RendersBosToken ? content : [.. tokenizer.PrefixIds, .. content];
    }
}
