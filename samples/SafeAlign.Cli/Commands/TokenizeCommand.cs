using System.CommandLine;
using System.Text.Json.Nodes;
using SafeAlign.Cli.Files;
using SafeAlign.Cli.Hosting;

namespace SafeAlign.Cli.Commands;

/// <summary>
/// <c>tokenize --model DIR [--text T | --file F | stdin] [--no-special-tokens] [--decode]</c>: text → token ids as JSON with the
/// model's tokenizer (to compare with Hugging Face's <c>tokenizer(text)</c>), or with <c>--decode</c> ids JSON → text.
/// </summary>
public static class TokenizeCommand
{
    /// <summary>Creates the command.</summary>
    public static Command Create(CommandHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var model = CommonOptions.Path("--model", "Hugging Face model folder (only its tokenizer files are read).", helpName: "DIR");
        var text = new Option<string?>("--text") { Description = "The input itself (text, or ids JSON with --decode).", HelpName = "TEXT" };
        var file = CommonOptions.OptionalPath("--file", "File holding the input ('-' = stdin; default stdin). One trailing newline is dropped.");
        var noSpecial = new Option<bool>("--no-special-tokens")
        {
            Description = "Encode without the template's special tokens (BOS/EOS; HF add_special_tokens=False); with --decode, skip special tokens.",
        };
        var decode = new Option<bool>("--decode") { Description = "Decode: the input is token ids JSON ([1, 2, 3] or tokenize's output); prints the text." };
        var output = CommonOptions.OptionalPath("--out", "Write the result here (atomically) instead of stdout.");
        var command = new Command("tokenize", "Text → token ids (JSON) with a model's tokenizer, or ids → text with --decode.")
        {
            model, text, file, noSpecial, decode, output,
        };
        host.SetAction(command, context =>
        {
            var tokenizer = context.LoadTokenizer(context.GetValue(model));
            bool special = !context.GetValue(noSpecial);
            string result;
            if (context.GetValue(decode))
            {
                int[] ids = TextInput.ReadIds(context.GetValue(text), context.GetValue(file), context.In, "--text", "--file");
                if (Array.FindIndex(ids, id => id >= tokenizer.VocabularySize) is int bad and >= 0)
                    throw new CliUsageException($"token id {ids[bad]} (element {bad}) is outside the vocabulary (0..{tokenizer.VocabularySize - 1}).");
                result = tokenizer.Decode(ids, skipSpecialTokens: !special);
            }
            else
            {
                string input = TextInput.Read(context.GetValue(text), context.GetValue(file), context.In, "--text", "--file");
                int[] ids = tokenizer.Encode(input, addSpecialTokens: special);
                result = new JsonObject
                {
                    ["ids"] = JsonFiles.Integers(ids),
                    ["tokens"] = new JsonArray([.. ids.Select(id => (JsonNode?)tokenizer.IdToToken(id))]),
                    ["count"] = ids.Length,
                    ["add_special_tokens"] = special,
                }.ToJsonString(JsonFiles.Compact);
            }
            if (context.GetValue(output) is { } path)
            {
                JsonFiles.WriteAtomically(path, writer => writer.Write(result + "\n"));
                context.Wrote(path);
            }
            else
            {
                context.Out.WriteLine(result);
                context.Out.Flush();
            }
            return Task.CompletedTask;
        });
        return command;
    }
}
