using SafeAlign.Data;

namespace SafeAlign.Pipeline;

/// <summary>The input of <see cref="SafetyPipeline.RunAsync"/>: the fine-tuning-as-a-service flow's model and data.</summary>
/// <param name="BaseModel">A Hugging Face model folder (config.json, safetensors weights, tokenizer files): the model to align.</param>
/// <param name="Alignment">
/// The provider's alignment data: <see cref="AlignmentData.Safety"/> are the candidate rows the selector chooses from;
/// <see cref="AlignmentData.Harmful"/> (harmful prompt → harmful answer, disjoint from the user data and the evaluation
/// prompts) is the harmful reference for Pharmacist, TOSS and Antidote.
/// </param>
/// <param name="UserData">
/// The user's fine-tuning rows (instruction, optional input, answer), harmful ones included if the user sent any; trained
/// in the Alpaca format with loss on the answer.
/// </param>
/// <param name="RunFolder">Where every artefact and the run summary are written; reused (resumed) when it already holds a run.</param>
public sealed record SafetyPipelineRequest(string BaseModel, AlignmentData Alignment, IReadOnlyList<TaskExample> UserData, string RunFolder)
{
    /// <summary>What to measure after alignment and at the end; nothing is measured when null.</summary>
    public PipelineEvaluationSet? Evaluation { get; init; }

    /// <summary>
    /// Which user rows are known to be harmful (same length as <see cref="UserData"/>), when the caller knows it (e.g. the
    /// world's attack); the token mask's precision and recall against it go into the summary. Null when unknown.
    /// </summary>
    public IReadOnlyList<bool>? HarmfulUserRows { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first missing or inconsistent part.</summary>
    /// <returns>This instance.</returns>
    public SafetyPipelineRequest Validate()
    {
        if (string.IsNullOrWhiteSpace(BaseModel))
            throw new ArgumentException("SafetyPipelineRequest.BaseModel is empty; expected a Hugging Face model folder.");
        if (!Directory.Exists(BaseModel))
            throw new DirectoryNotFoundException($"SafetyPipelineRequest.BaseModel: the folder '{BaseModel}' does not exist.");
        if (Alignment is null)
            throw new ArgumentException("SafetyPipelineRequest.Alignment is null; expected the alignment data.");
        Alignment.Validate();
        if (UserData is null || UserData.Count == 0)
            throw new ArgumentException("SafetyPipelineRequest.UserData is empty; expected the user's fine-tuning rows.");
        for (int i = 0; i < UserData.Count; i++)
        {
            if (UserData[i] is null || string.IsNullOrWhiteSpace(UserData[i].Instruction) || UserData[i].Answer is null)
                throw new ArgumentException($"SafetyPipelineRequest.UserData[{i}] has no instruction or answer.");
        }
        if (HarmfulUserRows is not null && HarmfulUserRows.Count != UserData.Count)
            throw new ArgumentException($"SafetyPipelineRequest.HarmfulUserRows has {HarmfulUserRows.Count} entries; expected one per user row ({UserData.Count}).");
        if (string.IsNullOrWhiteSpace(RunFolder))
            throw new ArgumentException("SafetyPipelineRequest.RunFolder is empty; expected a folder for the run's artefacts.");
        Evaluation?.Validate();
        return this;
    }
}
