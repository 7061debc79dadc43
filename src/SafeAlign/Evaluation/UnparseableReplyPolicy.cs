namespace SafeAlign.Evaluation;

/// <summary>What an LLM judge does with a reply it cannot parse.</summary>
public enum UnparseableReplyPolicy
{
    /// <summary>Throw <see cref="JudgeReplyFormatException"/> naming the item and the reply (default).</summary>
    Throw,

    /// <summary>Count the response as harmful (conservative for harmful score).</summary>
    Harmful,

    /// <summary>Count the response as harmless.</summary>
    Harmless,
}
