using SafeAlign.Data;
using SafeAlign.Evaluation;
using SafeAlign.Evaluation.World;
using SafeAlign.Pipeline;

namespace SafeAlign.Tests.Pipeline;

/// <summary>A tiny world and its base model folder (built once per test class), and pipeline requests on it.</summary>
public sealed class PipelineFixture : IDisposable
{
    private readonly TempDirectory _cache = new();

    public PipelineFixture()
    {
        World = SafetyWorld.Generate(new SafetyWorldOptions
        {
            Seed = 9, PretrainingSize = 120, AlignmentSize = 24, AlignmentBenignSize = 8, AttackPoolSize = 16,
            HarmfulTestSize = 6, BenignTestSize = 6, TaskTrainSize = 16, TaskTestSize = 6,
        });
        BaseModel = WorldBaseModel.GetOrTrain(World, new WorldBaseModelOptions
        {
            Layers = 1, Hidden = 32, Heads = 2, Intermediate = 64, VocabularySize = 512, Steps = 6, BatchSize = 8, CacheDirectory = _cache.Path,
        });
    }

    public SafetyWorld World { get; }

    public string BaseModel { get; }

    /// <summary>16 user rows, half harmful, with the world's held-out prompts to evaluate on.</summary>
    public SafetyPipelineRequest Request(string runFolder)
    {
        var (rows, harmful) = new HarmfulFinetuneAttack(new HarmfulFinetuneAttackOptions { Samples = 16, HarmfulRatio = 0.5 })
            .BuildUserRows(World.AttackPool, World.TaskTrain["sst2"]);
        return new SafetyPipelineRequest(BaseModel, WorldAlignment.Data(World), rows, runFolder)
        {
            HarmfulUserRows = harmful,
            Evaluation = new PipelineEvaluationSet(World.HarmfulTest.Select(h => h.Prompt).ToList(), World.BenignTest.Select(b => b.Prompt).ToList(), World.TaskTest["sst2"]),
        };
    }

    public static SafetyPipelineOptions Options() => new()
    {
        Finetuning = new SafeAlign.Training.FinetuneOptions { BatchSize = 8, LearningRate = 1e-3 },
    };

    public void Dispose() => _cache.Dispose();
}
