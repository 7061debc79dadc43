using System.Globalization;
using System.Text;
using SafeAlign.Tokenization;
using static TorchSharp.torch;

namespace SafeAlign.Scoring;

/// <summary>One bin of the risk histogram: scores in [Low, High) (the last bin includes High).</summary>
/// <param name="Low">Lower edge.</param>
/// <param name="High">Upper edge.</param>
/// <param name="Count">Scored tokens in the bin.</param>
public sealed record RiskBin(double Low, double High, long Count);

/// <summary>One of the highest-risk tokens, with its surroundings decoded.</summary>
/// <param name="Sample">Sample index.</param>
/// <param name="Position">Token position in the sample.</param>
/// <param name="Risk">Its score.</param>
/// <param name="Token">The token, decoded.</param>
/// <param name="Context">A few tokens either side, decoded, with the token in ⟦ ⟧.</param>
/// <param name="Discarded">Whether the mask discards it.</param>
public sealed record RiskyToken(int Sample, int Position, float Risk, string Token, string Context, bool Discarded);

/// <summary>
/// Why a scorer dropped what it dropped, for a person to inspect: a histogram of the risk scores, the discarded share of
/// each sample, and the highest-scored tokens decoded in context. Markdown via <see cref="ToMarkdown"/>.
/// </summary>
/// <param name="Scorer">The scorer.</param>
/// <param name="ResponseTokens">Scored tokens.</param>
/// <param name="DiscardedTokens">Discarded tokens.</param>
/// <param name="Histogram">Risk histogram over every scored token.</param>
/// <param name="DiscardedShare">Per sample, discarded tokens / response tokens (0 for a sample without response tokens).</param>
/// <param name="TopTokens">The highest-risk tokens, highest first (ties by sample, then position).</param>
public sealed record TokenRiskReport(string Scorer, long ResponseTokens, long DiscardedTokens, IReadOnlyList<RiskBin> Histogram,
    IReadOnlyList<double> DiscardedShare, IReadOnlyList<RiskyToken> TopTokens)
{
    /// <summary>Builds the report of a scoring result.</summary>
    /// <param name="scores">The result; must carry a <see cref="TokenRiskScores.Mask"/>.</param>
    /// <param name="data">The unmasked user data that was scored.</param>
    /// <param name="tokenizer">Decodes the top tokens.</param>
    /// <param name="bins">Histogram bins (default 20).</param>
    /// <param name="top">Top tokens listed (default 25).</param>
    /// <param name="context">Tokens of context either side (default 8).</param>
    /// <exception cref="ArgumentException">The result carries no mask, or the data do not match it.</exception>
    public static TokenRiskReport Create(TokenRiskScores scores, IReadOnlyList<TokenizedExample> data, HfTokenizer tokenizer, int bins = 20, int top = 25, int context = 8)
    {
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentOutOfRangeException.ThrowIfLessThan(bins, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(top);
        ArgumentOutOfRangeException.ThrowIfNegative(context);
        var mask = scores.Mask ?? throw new ArgumentException($"The '{scores.Scorer}' result carries no token mask to report on.", nameof(scores));
        mask.Check(data);
        if (scores.Risk.Count != data.Count || Enumerable.Range(0, data.Count).Any(i => scores.Risk[i].Length != data[i].Length))
            throw new ArgumentException("The risk arrays do not match the data's samples and lengths.", nameof(scores));

        using var scope = NewDisposeScope();
        var flat = tensor(scores.Risk.SelectMany(r => r).ToArray());                        // (ΣL)
        var index = flat.isnan().logical_not().nonzero().squeeze(1);                         // (N) scored positions
        var values = flat.index_select(0, index);                                            // (N)
        var histogram = new List<RiskBin>();
        if (values.shape[0] > 0)
        {
            double low = values.min().item<float>(), high = values.max().item<float>();
            if (high <= low)
                high = low + 1e-6;
            double width = (high - low) / bins;
            var bin = ((values.to(float64) - low) / width).floor().clamp(0, bins - 1).to(int64);      // (N)
            long[] counts = zeros(bins, dtype: int64).index_add_(0, bin, ones_like(bin), 1).data<long>().ToArray();
            histogram.AddRange(counts.Select((c, b) => new RiskBin(low + b * width, b == bins - 1 ? high : low + (b + 1) * width, c)));
        }

        var share = Enumerable.Range(0, data.Count).Select(i => mask.ResponseTokensOf(i) == 0 ? 0 : (double)mask.Discarded(i).Count / mask.ResponseTokensOf(i)).ToList();

        var starts = new long[data.Count];
        for (int i = 1; i < data.Count; i++)
            starts[i] = starts[i - 1] + data[i - 1].Length;
        int m = (int)Math.Min(top, values.shape[0]);
        long[] best = index.index_select(0, values.sort(descending: true, stable: true).Indices.narrow(0, 0, m)).data<long>().ToArray();
        var tokens = new List<RiskyToken>(m);
        foreach (long f in best)
        {
            int hit = Array.BinarySearch(starts, f); // starts strictly increase: every example has a token
            int sample = hit >= 0 ? hit : ~hit - 1;
            int position = (int)(f - starts[sample]);
            int[] ids = data[sample].InputIds;
            int from = Math.Max(0, position - context), to = Math.Min(ids.Length, position + 1 + context);
            string token = tokenizer.Decode([ids[position]]);
            string text = tokenizer.Decode(ids[from..position]) + "⟦" + token + "⟧" + tokenizer.Decode(ids[(position + 1)..to]);
            tokens.Add(new RiskyToken(sample, position, scores.Risk[sample][position], token, text.ReplaceLineEndings("⏎"), mask.Discarded(sample).Contains(position)));
        }
        return new TokenRiskReport(scores.Scorer, mask.ResponseTokens, mask.DiscardedTokens, histogram, share, tokens);
    }

    /// <summary>The report as Markdown: totals, the histogram, how the discarded tokens spread over samples, the top tokens.</summary>
    public string ToMarkdown()
    {
        var inv = CultureInfo.InvariantCulture;
        var md = new StringBuilder();
        md.Append(inv, $"# Token risk report ({Scorer})\n\n{DiscardedTokens} of {ResponseTokens} response tokens discarded ")
          .Append(inv, $"({(ResponseTokens == 0 ? 0 : 100.0 * DiscardedTokens / ResponseTokens):F1} %) in {DiscardedShare.Count(s => s > 0)} of {DiscardedShare.Count} samples.\n\n");
        md.Append("## Risk histogram\n\n| risk from | to | tokens |\n|---|---|---|\n");
        foreach (var bin in Histogram)
            md.Append(inv, $"| {bin.Low:G4} | {bin.High:G4} | {bin.Count} |\n");
        md.Append("\n## Discarded share per sample\n\n| share | samples |\n|---|---|\n");
        double[] edges = [0, 0.1, 0.25, 0.5, 0.75, 1];
        md.Append(inv, $"| 0 | {DiscardedShare.Count(s => s == 0)} |\n");
        for (int e = 0; e + 1 < edges.Length; e++)
            md.Append(inv, $"| ({edges[e]:G2}, {edges[e + 1]:G2}] | {DiscardedShare.Count(s => s > edges[e] && s <= edges[e + 1])} |\n");
        var most = DiscardedShare.Select((s, i) => (Share: s, Sample: i)).Where(x => x.Share > 0).OrderByDescending(x => x.Share).ThenBy(x => x.Sample).Take(20).ToList();
        if (most.Count > 0)
            md.Append("\nMost discarded samples: ").AppendJoin(", ", most.Select(x => string.Create(inv, $"{x.Sample} ({100 * x.Share:F0} %)"))).Append('\n');
        md.Append("\n## Highest-risk tokens\n\n| sample | position | risk | discarded | context |\n|---|---|---|---|---|\n");
        foreach (var t in TopTokens)
            md.Append(inv, $"| {t.Sample} | {t.Position} | {t.Risk:F3} | {(t.Discarded ? "yes" : "no")} | {t.Context.Replace("|", "\\|", StringComparison.Ordinal)} |\n");
        return md.ToString();
    }

    /// <summary>Writes <see cref="ToMarkdown"/> to <paramref name="path"/> atomically (temp file, then rename).</summary>
    public void WriteMarkdown(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        string temp = full + ".tmp-" + Guid.NewGuid().ToString("N");
        File.WriteAllText(temp, ToMarkdown());
        File.Move(temp, full, overwrite: true);
    }
}
