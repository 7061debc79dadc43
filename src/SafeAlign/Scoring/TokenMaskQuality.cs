using System.Globalization;

namespace SafeAlign.Scoring;

/// <summary>
/// How well a token mask hits the harmful samples of a data set whose ground truth is known (the embedded world knows
/// which user samples are harmful; the TOSS paper could not measure this).
/// </summary>
/// <param name="DiscardedTokens">Tokens the mask discards.</param>
/// <param name="DiscardedInHarmful">Of those, tokens inside harmful samples.</param>
/// <param name="HarmfulResponseTokens">Response tokens of the harmful samples.</param>
/// <param name="HarmfulSamples">Harmful samples.</param>
/// <param name="HarmfulSamplesTouched">Harmful samples with at least one discarded token.</param>
/// <param name="BenignSamplesTouched">Benign samples with at least one discarded token.</param>
public sealed record TokenMaskQuality(long DiscardedTokens, long DiscardedInHarmful, long HarmfulResponseTokens, int HarmfulSamples, int HarmfulSamplesTouched, int BenignSamplesTouched)
{
    /// <summary>Share of discarded tokens that lie in harmful samples (NaN when nothing is discarded).</summary>
    public double Precision => DiscardedTokens == 0 ? double.NaN : (double)DiscardedInHarmful / DiscardedTokens;

    /// <summary>Share of the harmful samples' response tokens that are discarded (NaN without harmful samples).</summary>
    public double Recall => HarmfulResponseTokens == 0 ? double.NaN : (double)DiscardedInHarmful / HarmfulResponseTokens;

    /// <summary>Measures <paramref name="mask"/> against per-sample ground truth.</summary>
    /// <param name="mask">The mask.</param>
    /// <param name="isHarmful">Per sample of the masked data, whether it is harmful.</param>
    /// <exception cref="ArgumentException">The counts differ.</exception>
    public static TokenMaskQuality Measure(TokenMask mask, IReadOnlyList<bool> isHarmful)
    {
        ArgumentNullException.ThrowIfNull(mask);
        ArgumentNullException.ThrowIfNull(isHarmful);
        if (isHarmful.Count != mask.Count)
            throw new ArgumentException($"isHarmful has {isHarmful.Count} entries; the mask covers {mask.Count} samples.", nameof(isHarmful));
        long inHarmful = 0, harmfulTokens = 0;
        int harmful = 0, harmfulTouched = 0, benignTouched = 0;
        for (int i = 0; i < mask.Count; i++)
        {
            int discarded = mask.Discarded(i).Count;
            if (isHarmful[i])
            {
                harmful++;
                harmfulTokens += mask.ResponseTokensOf(i);
                inHarmful += discarded;
                harmfulTouched += discarded > 0 ? 1 : 0;
            }
            else
            {
                benignTouched += discarded > 0 ? 1 : 0;
            }
        }
        return new TokenMaskQuality(mask.DiscardedTokens, inHarmful, harmfulTokens, harmful, harmfulTouched, benignTouched);
    }

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"precision {100 * Precision:F1}% ({DiscardedInHarmful}/{DiscardedTokens} discarded tokens in harmful samples), recall {100 * Recall:F1}% of {HarmfulResponseTokens} harmful response tokens; harmful samples touched {HarmfulSamplesTouched}/{HarmfulSamples}, benign samples touched {BenignSamplesTouched}");
}
