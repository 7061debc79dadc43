namespace SafeAlign.Pipeline;

/// <summary>The stages of a <see cref="SafetyPipeline"/> run, in the order they run.</summary>
public enum PipelineStage
{
    /// <summary>Choose the alignment rows (<see cref="Selection.IAlignmentDataSelector"/>).</summary>
    Select,

    /// <summary>Align the base model (<see cref="Defenses.IAlignmentDefense"/>); the adapter is saved, then merged.</summary>
    Align,

    /// <summary>Score the user's fine-tuning tokens and mask the riskiest (<see cref="Scoring.ITokenRiskScorer"/>).</summary>
    ScoreTokens,

    /// <summary>Fine-tune a fresh LoRA on the user's data (optionally with a fine-tuning-stage defense such as Lisa).</summary>
    Finetune,

    /// <summary>Repair the fine-tuned model by pruning (<see cref="Pruning.IPostFinetunePruner"/>).</summary>
    Prune,

    /// <summary>Measure harmful score, over-refusal and fine-tune accuracy of the final model.</summary>
    Evaluate,
}
