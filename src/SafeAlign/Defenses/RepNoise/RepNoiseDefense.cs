using Microsoft.Extensions.Logging;
using SafeAlign.Evaluation;
using SafeAlign.Tokenization;
using SafeAlign.Training;

namespace SafeAlign.Defenses.RepNoise;

/// <summary>
/// Representation noising (Rosati et al., arXiv 2405.14577): aligns on paired data — each alignment row (harmful prompt
/// → refusal) with the harmful answer to the same prompt — by learning the refusals, pushing the MLP outputs of the
/// harmful answers towards Gaussian noise, and a log-damped ascent on the harmful answers through every layer's logit
/// lens (<see cref="RepNoiseStep"/>). As the reference, it trains on the pairs only: the benign and task rows of
/// <see cref="SafeAlign.Data.AlignmentData"/> are not used. See docs/defenses.md#repnoise.
/// </summary>
public sealed class RepNoiseDefense : TrainedAlignmentDefense<RepNoiseOptions>
{
    /// <summary>The name RepNoise is registered under.</summary>
    public const string DefenseName = "repnoise";

    /// <summary>Creates the defense.</summary>
    /// <param name="options">Settings; defaults when null.</param>
    /// <param name="loggerFactory">Creates loggers; none by default.</param>
    public RepNoiseDefense(RepNoiseOptions? options = null, ILoggerFactory? loggerFactory = null) : base(options ?? new RepNoiseOptions(), loggerFactory)
    {
    }

    /// <inheritdoc />
    public override string Name => DefenseName;

    /// <summary>
    /// One <see cref="PairedExample"/> per alignment row: the refusal, with the harmful answer to the same prompt as
    /// companion. The k-th row with a given prompt pairs with the k-th harmful row with that prompt (cycling when there
    /// are fewer), so the world's same-order pairing and a selector's subset both pair correctly.
    /// </summary>
    /// <exception cref="ArgumentException">A row has no harmful answer with the same prompt.</exception>
    protected override IReadOnlyList<TokenizedExample> BuildExamples(AlignmentRequest request)
    {
        var data = request.Data;
        var byPrompt = data.Harmful.GroupBy(h => h.Prompt, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var used = new Dictionary<string, int>(StringComparer.Ordinal);
        var harmful = data.Safety.Select((s, i) =>
        {
            if (!byPrompt.TryGetValue(s.Prompt, out var answers))
                throw new ArgumentException($"RepNoise pairs each AlignmentData.Safety row with a Harmful row of the same prompt; Safety[{i}] (\"{Clip(s.Prompt)}\") has none.", nameof(request));
            int k = used.GetValueOrDefault(s.Prompt);
            used[s.Prompt] = k + 1;
            return answers[k % answers.Count];
        }).ToList();
        var refusals = InstructionExamples.Build(request.Tokenizer, Options.MaxLength, data.Safety.Select(s => (s.Prompt, (string?)null, s.Response)));
        var answersTokenized = InstructionExamples.Build(request.Tokenizer, Options.MaxLength, harmful.Select(h => (h.Prompt, (string?)null, h.Response)));
        return refusals.Zip(answersTokenized, (safe, harm) => (TokenizedExample)new PairedExample(safe, harm)).ToList();
    }

    /// <inheritdoc />
    protected override ITrainingStep CreateStep(AlignmentRequest request) => new RepNoiseStep(Options.Alpha, Options.Beta);

    private static string Clip(string text) => text.Length <= 60 ? text : text[..60] + "…";
}
