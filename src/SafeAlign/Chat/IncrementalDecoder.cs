using SafeAlign.Tokenization;

namespace SafeAlign.Chat;

/// <summary>
/// Turns generated ids into text as they arrive: each push decodes every id so far (so byte-level BPE pieces of one
/// character and SentencePiece word boundaries come out as the whole sequence decodes them) and returns the text that
/// is new and settled. Held back until settled: a trailing U+FFFD (an incomplete UTF-8 sequence), a trailing high
/// surrogate, and a tail that may be the start of a stop sequence. Text from the first stop sequence on is never
/// returned. Decoding skips special tokens and does no clean-up of spaces, which keeps earlier text stable as ids are
/// added; the deltas then concatenate to <see cref="Text"/>.
/// </summary>
internal sealed class IncrementalDecoder
{
    private readonly HfTokenizer _tokenizer;
    private readonly IReadOnlyList<string> _stops;
    private readonly List<int> _ids = [];
    private string _emitted = "";
    private int[] _cachedIds = [];
    private string _cachedText = "";

    public IncrementalDecoder(HfTokenizer tokenizer, IReadOnlyList<string> stopSequences)
    {
        _tokenizer = tokenizer;
        _stops = stopSequences;
    }

    /// <summary>The ids pushed so far.</summary>
    public IReadOnlyList<int> Ids => _ids;

    /// <summary>All ids decoded, cut before the first stop sequence.</summary>
    public string Text => Visible(DecodeIds(_ids), final: true);

    /// <summary>The decoding used throughout (also the generator's stop-sequence check, so it remembers its last result).</summary>
    public string DecodeIds(IReadOnlyList<int> ids)
    {
        if (!ids.SequenceEqual(_cachedIds))
            (_cachedIds, _cachedText) = (ids.ToArray(), _tokenizer.Decode(ids, skipSpecialTokens: true, cleanUpTokenizationSpaces: false));
        return _cachedText;
    }

    /// <summary>Adds one generated id; returns the newly settled text (possibly empty).</summary>
    public string Push(int id)
    {
        _ids.Add(id);
        return Advance(final: false);
    }

    /// <summary>Returns whatever was held back (generation has ended).</summary>
    public string Finish() => Advance(final: true);

    private string Advance(bool final)
    {
        string visible = Visible(DecodeIds(_ids), final);
        if (!visible.StartsWith(_emitted, StringComparison.Ordinal))
            return ""; // earlier text changed under a later id: wait for it to settle (never retract what was sent)
        string delta = visible[_emitted.Length..];
        _emitted = visible;
        return delta;
    }

    private string Visible(string text, bool final)
    {
        int cut = text.Length;
        foreach (string stop in _stops)
        {
            int at = text.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0)
                cut = Math.Min(cut, at);
        }
        if (cut < text.Length || final)
            return text[..cut];
        int end = text.Length;
        while (end > 0 && text[end - 1] == '\uFFFD')
            end--;
        int hold = 0;
        foreach (string stop in _stops)
        {
            for (int k = Math.Min(stop.Length - 1, end); k > hold; k--)
            {
                if (text.AsSpan(0, end).EndsWith(stop.AsSpan(0, k), StringComparison.Ordinal))
                {
                    hold = k;
                    break;
                }
            }
        }
        end -= hold;
        if (end > 0 && char.IsHighSurrogate(text[end - 1]))
            end--;
        return text[..end];
    }
}
