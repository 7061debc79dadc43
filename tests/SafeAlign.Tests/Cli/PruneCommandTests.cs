using System.Text.Json.Nodes;
using SafeAlign.Cli;
using SafeAlign.Models;
using SafeAlign.Models.Lora;
using SafeAlign.Tests.Selection;
using TorchSharp;

namespace SafeAlign.Tests.Cli;

[Collection(CliCollection.Name)]
public sealed class PruneCommandTests(CliFixture fixture)
{
    private static readonly ModelOptions Cpu = new() { Device = new() { Device = "cpu" } };

    [Fact]
    public void Prune_Antidote_ZeroesTheReportedWeightsOfTheTargetedFactorsOnly()
    {
        string userAdapter = fixture.NewPath("user"), output = fixture.NewPath("pruned");
        using (var model = CausalLM.FromPretrained(fixture.ModelFolder, Cpu))
        {
            SelectionFixture.AttachWarmAdapter(model); // every lora_A and lora_B entry non-zero
            PeftAdapter.Save(model, userAdapter);
        }

        var run = fixture.Run("prune", "--model", fixture.ModelFolder, "--adapter", userAdapter, "--calibration", fixture.World("attack-pool.jsonl"),
            "--pruner", "antidote", "--ratio", "0.25", "--out", output);

        Assert.True(run.Code == ExitCodes.Ok, run.ToString());
        var report = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "pruning-report.json")))!;
        long reported = (long)report["pruned_weights"]!;
        Assert.Equal("adapter", (string?)report["saved_as"]);
        Assert.Equal(reported, report["matrices"]!.AsArray().Sum(m => (long)m!["pruned"]!));
        Assert.True((long)report["calibration_samples"]! > 0);

        using var before = CausalLM.FromPretrained(fixture.ModelFolder, Cpu);
        PeftAdapter.Load(before, userAdapter);
        using var after = CausalLM.FromPretrained(fixture.ModelFolder, Cpu);
        PeftAdapter.Load(after, output);
        long zeros = 0;
        var targets = new[] { "q_proj", "k_proj", "v_proj" }; // Antidote's default targets
        foreach (var ((path, b), (_, a)) in before.Projections().Zip(after.Projections()))
        {
            var factors = new[] { (b.LoraA!.Weight, a.LoraA!.Weight), (b.LoraB!.Weight, a.LoraB!.Weight) };
            foreach (var (original, pruned) in factors)
            {
                if (targets.Any(t => path.EndsWith(t, StringComparison.Ordinal)))
                {
                    zeros += pruned.eq(0).sum().item<long>();
                    // What survives is untouched.
                    Assert.True(pruned.eq(0).logical_or(pruned.eq(original)).all().item<bool>());
                }
                else
                {
                    Assert.True(pruned.eq(original).all().item<bool>(), $"{path} is not a target but changed");
                }
            }
        }
        Assert.True(reported > 0);
        Assert.Equal(reported, zeros);
        Assert.Equal(0.25, reported / (double)(long)report["considered_weights"]!, 0.05);
    }
}
