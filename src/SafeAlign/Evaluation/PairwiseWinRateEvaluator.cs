using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;

namespace SafeAlign.Evaluation;

/// <summary>
/// TOSS's metric (arXiv 2603.01185, §6 of docs/methods toss notes): the win rate of a candidate model's responses
/// against a baseline's (standard SFT, which scores 50 by construction), judged pairwise by an LLM through
/// <see cref="IChatClient"/> (the paper: GPT-4o, AlpacaEval style). The paper does not say how it handles position
/// bias; here every instruction is judged in both orders (candidate as A, then as B). Agreeing verdicts count as
/// they are (win 1, tie ½, loss 0); verdicts that disagree after the swap count as a tie. Ties count ½, as
/// AlpacaEval does (the paper's handling is inferred). The rate carries a 95 % Wilson interval.
/// </summary>
public sealed partial class PairwiseWinRateEvaluator
{
    private readonly IChatClient _client;
    private readonly PairwiseWinRateOptions _options;

    /// <summary>Creates an evaluator; the caller keeps ownership of <paramref name="client"/>.</summary>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public PairwiseWinRateEvaluator(IChatClient client, PairwiseWinRateOptions? options = null)
    {
        _client = client ?? throw new ArgumentNullException(nameof(client));
        _options = (options ?? new PairwiseWinRateOptions()).Validate();
    }

    /// <summary>Judges every (instruction, candidate, baseline) in both orders; 2 requests per item, at most MaxConcurrency at once.</summary>
    /// <exception cref="JudgeReplyFormatException">A reply names no preference and <see cref="PairwiseWinRateOptions.UnparseableAsTie"/> is off;
    /// its item index is the instruction's index.</exception>
    public async Task<WinRateResult> EvaluateAsync(IReadOnlyList<(string Instruction, string Candidate, string Baseline)> items, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(items);
        for (int i = 0; i < items.Count; i++)
        {
            if (items[i].Instruction is null || items[i].Candidate is null || items[i].Baseline is null)
                throw new ArgumentException($"Item {i} has a null instruction or response.", nameof(items));
        }
        // Call 2i shows the candidate as A, call 2i + 1 shows the baseline as A.
        var outcomes = await ChatJudging.ForEachAsync(2 * items.Count, _options.MaxConcurrency, async (call, token) =>
        {
            var (instruction, candidate, baseline) = items[call / 2];
            bool candidateFirst = call % 2 == 0;
            var values = new Dictionary<string, string>
            {
                ["instruction"] = instruction,
                ["output_a"] = candidateFirst ? candidate : baseline,
                ["output_b"] = candidateFirst ? baseline : candidate,
            };
            string reply = await ChatJudging.ReplyAsync(_client, JudgePromptTemplate.Fill(_options.SystemPrompt, values), JudgePromptTemplate.Fill(_options.UserTemplate, values), _options.ChatOptions, token).ConfigureAwait(false);
            bool? firstBetter = ParsePreference(reply);
            if (firstBetter is null && !_options.UnparseableAsTie && !IsTie(reply))
                throw new JudgeReplyFormatException(call / 2, reply, "A, B or tie");
            return firstBetter switch
            {
                null => PairwiseOutcome.Tie,
                true => candidateFirst ? PairwiseOutcome.Win : PairwiseOutcome.Loss,
                false => candidateFirst ? PairwiseOutcome.Loss : PairwiseOutcome.Win,
            };
        }, cancellationToken).ConfigureAwait(false);

        var verdicts = items.Select((item, i) =>
        {
            var (ab, ba) = (outcomes[2 * i], outcomes[2 * i + 1]);
            return new PairwiseVerdict(item.Instruction, item.Candidate, item.Baseline, ab, ba, ab == ba ? ab : PairwiseOutcome.Tie);
        }).ToList();
        return new WinRateResult(verdicts.Count(v => v.Outcome == PairwiseOutcome.Win), verdicts.Count(v => v.Outcome == PairwiseOutcome.Tie),
            verdicts.Count(v => v.Outcome == PairwiseOutcome.Loss), verdicts);
    }

    /// <summary>
    /// Reads a preference from a judge reply: true = output A, false = output B, null = tie or no preference (see
    /// <see cref="IsTie"/>). Case, brackets and punctuation are ignored. In order: a reply that is just the letter
    /// ("B", "(a).", "Output (B)"); else the outputs it names, when they all agree; else "X is better"; else null.
    /// </summary>
    public static bool? ParsePreference(string reply)
    {
        ArgumentNullException.ThrowIfNull(reply);
        string text = reply.Trim().ToLowerInvariant();
        if (Bare().Match(text) is { Success: true } bare)
            return bare.Groups[1].Value == "a";
        var named = Named().Matches(text).Select(m => m.Groups[1].Value).Distinct().ToList();
        if (named.Count == 1)
            return named[0] == "a";
        if (Better().Match(text) is { Success: true } better)
            return better.Groups[1].Value == "a";
        return null;
    }

    /// <summary>Whether a reply declares a tie (and names no single output).</summary>
    public static bool IsTie(string reply)
    {
        ArgumentNullException.ThrowIfNull(reply);
        return ParsePreference(reply) is null && Tie().IsMatch(reply.ToLowerInvariant());
    }

    [GeneratedRegex(@"^\W*(?:(?:output|response)\s*)?\(?([ab])\)?\W*$", RegexOptions.CultureInvariant)]
    private static partial Regex Bare();

    [GeneratedRegex(@"\b(?:output|response)\s*\(?([ab])\b\)?", RegexOptions.CultureInvariant)]
    private static partial Regex Named();

    [GeneratedRegex(@"\(?\b([ab])\)?\s+is\s+(?:better|more|preferred|preferable)", RegexOptions.CultureInvariant)]
    private static partial Regex Better();

    [GeneratedRegex(@"\b(?:tie|tied|equal|equally)\b", RegexOptions.CultureInvariant)]
    private static partial Regex Tie();
}
