namespace SafeAlign.Evaluation;

/// <summary>An LLM judge's reply holds no verdict the parser recognises.</summary>
public sealed class JudgeReplyFormatException : Exception
{
    /// <summary>Creates the exception for item <paramref name="itemIndex"/>.</summary>
    public JudgeReplyFormatException(int itemIndex, string reply, string expected)
        : base($"The judge's reply to item {itemIndex} holds no verdict (expected {expected}): \"{reply}\".")
    {
        ItemIndex = itemIndex;
        Reply = reply;
    }

    /// <summary>Index of the judged item in the input list.</summary>
    public int ItemIndex { get; }

    /// <summary>The judge's reply as received.</summary>
    public string Reply { get; }
}
