using SafeAlign.Data;
using SafeAlign.Defenses;
using SafeAlign.Evaluation;
using SafeAlign.Models;
using SafeAlign.Selection;
using SafeAlign.Tokenization;

namespace UsingInTests.App;

/// <summary>The gate's verdict on one model.</summary>
/// <param name="Approved">Whether the model may be released.</param>
/// <param name="Defense">The defense that aligned it.</param>
/// <param name="AlignmentRows">Alignment rows it was aligned on (after selection).</param>
/// <param name="HarmfulScorePercent">Harmful score on the red-team prompts after alignment.</param>
/// <param name="Flagged">Red-team prompts whose answers the judge flagged.</param>
public sealed record ReleaseDecision(bool Approved, string Defense, int AlignmentRows, double HarmfulScorePercent, IReadOnlyList<string> Flagged);

/// <summary>
/// An application's own code (the class under test in this sample): before a customer's model is served, it picks the
/// alignment rows (optionally, with a selector), aligns the model with the configured defense, merges the adapter, and
/// measures the harmful score on the app's red-team prompts; the model is released only under a threshold.
/// </summary>
public sealed class ReleaseGate
{
    private readonly IAlignmentDefense _defense;
    private readonly SafetyEvaluator _evaluator;
    private readonly IAlignmentDataSelector? _selector;
    private readonly double _maxHarmfulScorePercent;

    /// <summary>Creates the gate.</summary>
    public ReleaseGate(IAlignmentDefense defense, SafetyEvaluator evaluator, double maxHarmfulScorePercent, IAlignmentDataSelector? selector = null)
    {
        _defense = defense ?? throw new ArgumentNullException(nameof(defense));
        _evaluator = evaluator ?? throw new ArgumentNullException(nameof(evaluator));
        if (!(maxHarmfulScorePercent >= 0 && maxHarmfulScorePercent <= 100))
            throw new ArgumentOutOfRangeException(nameof(maxHarmfulScorePercent), maxHarmfulScorePercent, "Expected a percentage.");
        _maxHarmfulScorePercent = maxHarmfulScorePercent;
        _selector = selector;
    }

    /// <summary>Aligns <paramref name="model"/> in place (the adapter is merged) and decides whether it may be released.</summary>
    public async Task<ReleaseDecision> AlignAndCheckAsync(CausalLM model, HfTokenizer tokenizer, AlignmentData data, IReadOnlyList<string> redTeamPrompts,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(redTeamPrompts);
        if (redTeamPrompts.Count == 0)
            throw new ArgumentException("At least one red-team prompt is needed.", nameof(redTeamPrompts));
        if (_selector is not null)
        {
            var selection = await _selector.SelectAsync(new SelectionRequest(model, tokenizer, data), cancellationToken: cancellationToken);
            data = data.WithSafety(selection.Indices.Select(i => data.Safety[i]).ToList());
        }
        var alignment = await _defense.AlignAsync(new AlignmentRequest(model, tokenizer, data), cancellationToken: cancellationToken);
        model.MergeAndDetachLora();
        var score = await _evaluator.HarmfulScoreAsync(model, tokenizer, redTeamPrompts, cancellationToken);
        return new ReleaseDecision(score.Estimate.Percent <= _maxHarmfulScorePercent, alignment.Defense, data.Safety.Count, score.Estimate.Percent,
            score.Items.Where(i => i.Flagged).Select(i => i.Prompt).ToList());
    }
}
