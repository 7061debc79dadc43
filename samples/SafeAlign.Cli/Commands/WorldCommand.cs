using System.CommandLine;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using SafeAlign.Cli.Files;
using SafeAlign.Cli.Hosting;
using SafeAlign.Evaluation;
using SafeAlign.Evaluation.World;
using SafeAlign.Training;

namespace SafeAlign.Cli.Commands;

/// <summary>
/// <c>world --seed N --out DIR [--base-model]</c>: exports the embedded safety world as JSON Lines files that the other
/// commands (and the library's loaders) read back unchanged, with a <c>world.json</c> manifest written last; optionally builds
/// (or reuses from the cache) the world's tiny base model and copies it to <c>DIR/base</c>.
/// </summary>
public static class WorldCommand
{
    /// <summary>Creates the command.</summary>
    public static Command Create(CommandHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var output = CommonOptions.Path("--out", "Folder to write the world's files into.", helpName: "DIR");
        var baseModel = new Option<bool>("--base-model") { Description = "Also build (or reuse from the cache) the world's base model and copy it to DIR/base." };
        var command = new Command("world", "Export the embedded safety world (alignment, benign, attack, test and task splits) as JSONL.") { output, baseModel };
        host.SetAction(command, context => RunAsync(context, context.GetValue(output), context.GetValue(baseModel)));
        return command;
    }

    private static async Task RunAsync(CommandContext context, string folder, bool baseModel)
    {
        var settings = context.Settings;
        var world = SafetyWorld.Generate(settings.World);
        var files = new JsonObject();
        void Write(string name, IEnumerable<JsonNode> rows)
        {
            context.CancellationToken.ThrowIfCancellationRequested();
            files[name] = JsonFiles.WriteLines(Path.Combine(folder, name), rows);
        }

        Write("alignment.jsonl", world.Alignment.Select(a => Rows.Safety(a.Example, a.Quality)));
        Write("alignment-harmful.jsonl", world.AlignmentHarmful.Select(e => Rows.Safety(e)));
        Write("alignment-validation.jsonl", world.AlignmentValidation.Select(e => Rows.Safety(e)));
        Write("alignment-benign.jsonl", world.AlignmentBenign.Select(Rows.Chat));
        Write("alignment-utility.jsonl", WorldAlignment.Data(world).Utility.Select(Rows.Task));
        Write("attack-pool.jsonl", world.AttackPool.Select(e => Rows.Safety(e)));
        Write("harmful-test.jsonl", world.HarmfulTest.Select(e => Rows.Safety(e)));
        Write("benign-test.jsonl", world.BenignTest.Select(Rows.Chat));
        Write("pretraining.jsonl", world.Pretraining.Select(Rows.Task));
        foreach (string task in SafetyWorld.Tasks)
        {
            Write($"tasks/{task}-train.jsonl", world.TaskTrain[task].Select(Rows.Task));
            Write($"tasks/{task}-test.jsonl", world.TaskTest[task].Select(Rows.Task));
        }

        // The user data set of the harmful fine-tuning attack: ⌈p·n⌉ harmful pairs first, then task rows, each flagged.
        var user = settings.UserData;
        if (!world.TaskTrain.TryGetValue(user.Task, out var taskPool))
            throw new ArgumentException($"UserData.Task is '{user.Task}'; expected one of the world's tasks: {string.Join(", ", SafetyWorld.Tasks)}.");
        var attack = new HarmfulFinetuneAttack(user.Attack(world.Options.Seed));
        var (items, harmful) = attack.BuildUserData(world.AttackPool, taskPool);
        string userFile = $"user-{user.Task}.jsonl";
        Write(userFile, items.Select((item, i) => Rows.Instruction(item.Instruction, item.Input, item.Response, i < harmful)));

        string? basePath = null;
        if (baseModel)
        {
            string cached = await context.RunAsync(() => WorldBaseModel.GetOrTrain(world, settings.WorldBaseModel,
                context.LoggerFactory.CreateLogger<Trainer>(), cancellationToken: context.CancellationToken)).ConfigureAwait(false);
            basePath = Path.Combine(folder, "base");
            ModelFolders.Copy(cached, basePath);
            basePath = context.Wrote(basePath);
        }

        var manifest = new JsonObject
        {
            ["world_version"] = SafetyWorld.Version,
            ["seed"] = world.Options.Seed,
            ["options"] = JsonFiles.ToNode(world.Options),
            ["files"] = files,
            ["user_data"] = new JsonObject
            {
                ["file"] = userFile, ["task"] = user.Task, ["samples"] = items.Count, ["harmful"] = harmful,
                ["harmful_ratio"] = user.HarmfulRatio, ["seed"] = world.Options.Seed,
            },
            ["base_model"] = basePath,
        };
        string manifestPath = Path.Combine(folder, "world.json");
        JsonFiles.Write(manifestPath, manifest);
        manifest["folder"] = context.Wrote(folder);
        context.WriteResult(manifest);
    }
}
