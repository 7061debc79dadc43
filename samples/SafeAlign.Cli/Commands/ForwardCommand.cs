using System.CommandLine;
using System.Text.Json.Nodes;
using SafeAlign.Cli.Files;
using SafeAlign.Cli.Hosting;
using SafeAlign.Training;
using static TorchSharp.torch;

namespace SafeAlign.Cli.Commands;

/// <summary>
/// <c>forward --model DIR --ids "[1,2,3]" | --ids-file F</c>: one forward pass, reported in fp32 as JSON: the next-token loss of
/// every position (<see cref="TokenLoss.PerToken"/>, position t scored by the logits at t − 1, so position 0 is null), their mean
/// (HF's <c>model(ids, labels=ids).loss</c>), and the last position's logits with its top tokens, to compare with Hugging Face.
/// </summary>
public static class ForwardCommand
{
    /// <summary>Creates the command.</summary>
    public static Command Create(CommandHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var model = CommonOptions.Path("--model", "Hugging Face model folder.", helpName: "DIR");
        var adapters = CommonOptions.Adapters("PEFT adapter folders merged into the model first, in order.");
        var ids = new Option<string?>("--ids") { Description = "Token ids as JSON, e.g. \"[1, 2, 3]\".", HelpName = "JSON" };
        var idsFile = CommonOptions.OptionalPath("--ids-file", "File with the ids JSON ([1, 2, 3] or tokenize's output; '-' = stdin; default stdin).");
        var top = new Option<int>("--top") { Description = "How many of the last position's most likely tokens to list (default 10).", DefaultValueFactory = _ => 10, HelpName = "K" };
        top.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() < 0)
                result.AddError("--top must not be negative.");
        });
        var output = CommonOptions.OptionalPath("--out", "Write the JSON here (atomically) instead of stdout.");
        var command = new Command("forward", "Run one forward pass over token ids and print per-token losses and the last position's logits (fp32 JSON).")
        {
            model, adapters, ids, idsFile, top, output,
        };
        host.SetAction(command, context =>
        {
            int[] tokens = TextInput.ReadIds(context.GetValue(ids), context.GetValue(idsFile), context.In, "--ids", "--ids-file");
            if (tokens.Length == 0)
                throw new CliUsageException("the ids are empty; expected at least one token id.");
            string modelPath = context.GetValue(model);
            string[] merged = context.GetValue(adapters);
            using var loaded = context.LoadModel(modelPath, merged);
            var tokenizer = context.LoadTokenizer(modelPath);
            int vocabulary = loaded.Config.VocabSize;
            if (Array.FindIndex(tokens, id => id >= vocabulary) is int bad and >= 0)
                throw new CliUsageException($"token id {tokens[bad]} (element {bad}) is outside the model's vocabulary (0..{vocabulary - 1}).");

            float[] losses, last;
            long[] topIds;
            float[] topLogits, topLogProbs;
            using (inference_mode())
            using (NewDisposeScope())
            {
                var input = tensor(tokens.Select(t => (long)t).ToArray(), dtype: ScalarType.Int64).view(1, -1);   // (1, T)
                var logits = loaded.Forward(input);                                                                // (1, T, V)
                var perToken = TokenLoss.PerToken(logits, input);                                                  // (1, T) fp32
                var lastLogits = logits[0, -1].to(ScalarType.Float32);                                             // (V)
                int k = Math.Min(context.GetValue(top), vocabulary);
                var (values, indices) = lastLogits.topk(k);                                                        // (k), (k)
                var logProbs = lastLogits.log_softmax(0).index_select(0, indices);                                // (k)
                losses = perToken[0].cpu().data<float>().ToArray();
                last = lastLogits.cpu().data<float>().ToArray();
                topIds = indices.cpu().data<long>().ToArray();
                topLogits = values.cpu().data<float>().ToArray();
                topLogProbs = logProbs.cpu().data<float>().ToArray();
            }

            var result = new JsonObject
            {
                ["model"] = Path.GetFullPath(modelPath),
                ["adapters"] = JsonFiles.Strings(merged.Select(Path.GetFullPath)),
                ["device"] = loaded.Device.ToString(),
                ["compute_dtype"] = loaded.Dtype.ToString(),
                ["ids"] = JsonFiles.Integers(tokens),
                ["tokens"] = new JsonArray([.. tokens.Select(id => (JsonNode?)tokenizer.IdToToken(id))]),
                ["losses"] = new JsonArray([.. losses.Select((l, t) => t == 0 ? null : JsonFiles.Number(l))]),
                ["mean_loss"] = tokens.Length < 2 ? null : JsonFiles.Number(losses.Skip(1).Average(l => (double)l)),
                ["last_logits"] = JsonFiles.Numbers(last.Select(v => (double)v)),
                ["top"] = new JsonArray([.. topIds.Select((id, i) => (JsonNode)new JsonObject
                {
                    ["id"] = id, ["token"] = tokenizer.IdToToken((int)id), ["logit"] = topLogits[i], ["logprob"] = topLogProbs[i],
                })]),
            };
            if (context.GetValue(output) is { } path)
            {
                JsonFiles.Write(path, result);
                context.Wrote(path);
            }
            else
            {
                context.WriteResult(result);
            }
            return Task.CompletedTask;
        });
        return command;
    }
}
