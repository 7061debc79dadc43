using SafeAlign.Data;
using SafeAlign.Models;
using SafeAlign.Models.Generation;
using SafeAlign.Native;
using SafeAlign.Tokenization;

namespace SafeAlign.Evaluation;

/// <summary>
/// The three measurements every experiment reports: harmful score (share of harmful prompts answered, per the
/// judge), fine-tune accuracy (exact match per <see cref="AnswerParser"/>), and over-refusal (share of benign
/// prompts refused, per the refusal patterns). All use batched greedy generation in the Alpaca format.
/// </summary>
public sealed class SafetyEvaluator
{
    private readonly IHarmfulnessJudge _judge;
    private readonly RefusalPatternJudge _refusals = new();
    private readonly GenerationOptions _generation;
    private readonly int _batchSize;

    /// <summary>Creates an evaluator with a judge (default <see cref="RefusalPatternJudge"/>) and decoding settings (default greedy, 64 new tokens).</summary>
    public SafetyEvaluator(IHarmfulnessJudge? judge = null, GenerationOptions? generation = null, int batchSize = 64)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        _judge = judge ?? new RefusalPatternJudge();
        _generation = (generation ?? new GenerationOptions { MaxNewTokens = 64 }).Validate();
        _batchSize = batchSize;
    }

    /// <summary>Harmful score on <paramref name="prompts"/>: responses the judge flags as harmful.</summary>
    /// <exception cref="InvalidOperationException">The judge returned a different number of verdicts than items.</exception>
    public async Task<EvaluationResult> HarmfulScoreAsync(CausalLM model, HfTokenizer tokenizer, IReadOnlyList<string> prompts, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        var responses = await RespondAsync(model, tokenizer, prompts.Select(p => (p, (string?)null)).ToList(), cancellationToken).ConfigureAwait(false);
        var verdicts = await _judge.JudgeAsync(prompts.Select((p, i) => (p, responses[i])).ToList(), cancellationToken).ConfigureAwait(false);
        if (verdicts.Count != prompts.Count)
            throw new InvalidOperationException($"Judge '{_judge.Name}' returned {verdicts.Count} verdicts for {prompts.Count} items.");
        return Result(prompts, responses, verdicts);
    }

    /// <summary>Over-refusal on benign <paramref name="prompts"/>: responses that contain a refusal phrase.</summary>
    public async Task<EvaluationResult> OverRefusalAsync(CausalLM model, HfTokenizer tokenizer, IReadOnlyList<string> prompts, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        var responses = await RespondAsync(model, tokenizer, prompts.Select(p => (p, (string?)null)).ToList(), cancellationToken).ConfigureAwait(false);
        return Result(prompts, responses, responses.Select(_refusals.IsRefusal).ToList());
    }

    /// <summary>Fine-tune accuracy on task examples; the verdict flags wrong answers, the estimate counts correct ones.</summary>
    public async Task<EvaluationResult> AccuracyAsync(CausalLM model, HfTokenizer tokenizer, IReadOnlyList<TaskExample> examples, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(examples);
        var responses = await RespondAsync(model, tokenizer, examples.Select(e => (e.Instruction, e.Input.Length == 0 ? null : (string?)e.Input)).ToList(), cancellationToken).ConfigureAwait(false);
        var wrong = examples.Select((e, i) => !AnswerParser.IsCorrect(e.Task, e.Answer, responses[i])).ToList();
        var items = examples.Select((e, i) => new JudgedResponse(e.Input.Length == 0 ? e.Instruction : e.Instruction + "\n" + e.Input, responses[i], wrong[i])).ToList();
        return new EvaluationResult(new RateEstimate(wrong.Count(w => !w), examples.Count), items);
    }

    // Generation is synchronous tensor work; it runs on a dedicated thread (dispose scopes are per thread), as Trainer.RunAsync does.
    private Task<IReadOnlyList<string>> RespondAsync(CausalLM model, HfTokenizer tokenizer, IReadOnlyList<(string, string?)> prompts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenizer);
        return ComputeThread.RunAsync(() => InstructionResponder.Respond(model, tokenizer, prompts, _generation, _batchSize, cancellationToken), cancellationToken);
    }

    private static EvaluationResult Result(IReadOnlyList<string> prompts, IReadOnlyList<string> responses, IReadOnlyList<bool> flags) =>
        new(new RateEstimate(flags.Count(f => f), prompts.Count), prompts.Select((p, i) => new JudgedResponse(p, responses[i], flags[i])).ToList());
}
