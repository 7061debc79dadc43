using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using SafeAlign.DependencyInjection;
using SafeAlign.Defenses.Sft;
using SafeAlign.Pipeline;
using SafeAlign.Pruning;
using SafeAlign.Pruning.Antidote;
using SafeAlign.Scoring;
using SafeAlign.Selection;

namespace SafeAlign.Tests.Pipeline;

public sealed class PipelineServiceProviderTests(PipelineFixture fixture) : IClassFixture<PipelineFixture>
{
    // The section layout docs/getting-started.md documents: SafeAlign:<Stage options>, SafeAlign:Pipeline:<names and recipe>.
    private const string Settings = """
        {
          "SafeAlign": {
            "Device": { "Device": "cpu" },
            "Sft": { "Epochs": 1, "BatchSize": 8 },
            "RandomSelector": { "KeepRatio": 0.5, "Seed": 3 },
            "RandomTokens": { "DiscardRatio": 0.25 },
            "Antidote": { "Ratio": 0.2 },
            "Pipeline": {
              "Selector": "random",
              "Defense": "sft",
              "Scorer": "random-tokens",
              "Pruner": "magnitude",
              "Finetuning": { "BatchSize": 8, "LearningRate": 0.001 }
            }
          }
        }
        """;

    private static IConfiguration Configuration(string json = Settings) =>
        new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json))).Build();

    [Fact]
    public async Task Pipeline_FromARealServiceProvider_RunsTheConfiguredStages_WithAReplacedPruner()
    {
        var configuration = Configuration();
        var services = new ServiceCollection()
            .AddLogging()
            .AddSafeAlign(o => configuration.GetSection("SafeAlign").Bind(o));
        var recording = new RecordingPruner(AntidotePruner.Magnitude(new AntidoteOptions { Ratio = 0.2 }));
        services.Replace(ServiceDescriptor.KeyedSingleton<IPostFinetunePruner>("magnitude", recording));
        using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        using var run = new TempDirectory();

        var result = await provider.GetRequiredService<SafetyPipeline>().RunAsync(fixture.Request(run.Path));

        Assert.Equal(["random", "sft", "random-tokens", "lora", "magnitude", "evaluator"], result.Stages.Select(s => s.Implementation));
        Assert.Equal(12, result[PipelineStage.Select].Details["kept"]); // KeepRatio 0.5 of 24, bound from configuration
        Assert.Equal(1, recording.Calls);
        var options = provider.GetRequiredService<SafeAlignOptions>();
        Assert.Equal((1, 0.001, 0.25), (options.Sft.Epochs, options.Pipeline.Finetuning.LearningRate, options.RandomTokens.DiscardRatio));
        Assert.IsType<RandomSelector>(provider.GetRequiredService<SafetyPipelineStages>().Selector);
        Assert.IsType<SftDefense>(provider.GetRequiredService<SafetyPipelineStages>().Defense);
    }

    [Fact]
    public void Pipeline_WithLisaConfigured_ResolvesItsFactory()
    {
        var configuration = Configuration("""{ "SafeAlign": { "Pipeline": { "FinetuningDefense": "lisa", "Scorer": "none" } } }""");
        using var provider = new ServiceCollection().AddSafeAlign(o => configuration.GetSection("SafeAlign").Bind(o)).BuildServiceProvider();

        var stages = provider.GetRequiredService<SafetyPipelineStages>();

        Assert.Equal("lisa", stages.Finetuning!.Name);
        Assert.Null(stages.Scorer);
        Assert.NotNull(stages.Selector); // pharmacist by default
    }

    [Fact]
    public void Pipeline_WithAnUnknownStageName_ThrowsNamingTheSetting()
    {
        var configuration = Configuration("""{ "SafeAlign": { "Pipeline": { "Pruner": "no-such-pruner" } } }""");
        using var provider = new ServiceCollection().AddSafeAlign(o => configuration.GetSection("SafeAlign").Bind(o)).BuildServiceProvider();

        var error = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<SafetyPipeline>());

        Assert.Contains("SafeAlign:Pipeline:Pruner", error.Message);
        Assert.Contains("no-such-pruner", error.Message);
    }

    private sealed class RecordingPruner(IPostFinetunePruner inner) : IPostFinetunePruner
    {
        public int Calls { get; private set; }

        public string Name => inner.Name;

        public Task<PruningResult> PruneAsync(PruningRequest request, IProgress<string>? progress = null, CancellationToken cancellationToken = default)
        {
            Calls++;
            return inner.PruneAsync(request, progress, cancellationToken);
        }
    }
}
