// Chat with a SafeAlign model through Microsoft.Extensions.AI's IChatClient, before and after alignment.
// Usage: dotnet run --project samples/ChatWithModel [-- --model DIR] [--seed N] [--align] [--prompt "..."]
//        [--max-tokens N] [--temperature T] [--device auto|cpu|cuda]
// Without --model it uses the embedded world's base model for the seed (trained and cached on first use).
// Without --prompt it reads one message per line from stdin and streams each answer; an empty line or EOF quits.
using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using SafeAlign.Chat;
using SafeAlign.Defenses;
using SafeAlign.Defenses.Sft;
using SafeAlign.Evaluation.World;
using SafeAlign.Models;
using SafeAlign.Native;
using SafeAlign.Tokenization;
using AlpacaTemplate = SafeAlign.Tokenization.Templates.AlpacaTemplate;
using IChatTemplate = SafeAlign.Tokenization.Templates.IChatTemplate;
using SafeAlign.Training;

string? modelFolder = null, prompt = null, deviceName = "auto";
long seed = 1;
bool align = false;
int maxTokens = 64;
float temperature = 0;
for (int i = 0; i < args.Length; i++)
{
    string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"'{args[i]}' needs a value.");
    switch (args[i])
    {
        case "--model": modelFolder = Value(); break;
        case "--seed": seed = long.Parse(Value(), CultureInfo.InvariantCulture); break;
        case "--align": align = true; break;
        case "--prompt": prompt = Value(); break;
        case "--max-tokens": maxTokens = int.Parse(Value(), CultureInfo.InvariantCulture); break;
        case "--temperature": temperature = float.Parse(Value(), CultureInfo.InvariantCulture); break;
        case "--device": deviceName = Value(); break;
        default:
            Console.Error.WriteLine($"Unknown argument '{args[i]}'; expected --model DIR, --seed N, --align, --prompt TEXT, --max-tokens N, --temperature T, --device auto|cpu|cuda.");
            return 2;
    }
}

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };
using var loggerFactory = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));
var modelOptions = new ModelOptions { Device = new DeviceOptions { Device = deviceName } };
var world = new Lazy<SafetyWorld>(() => SafetyWorld.Generate(new SafetyWorldOptions { Seed = seed }));
if (modelFolder is null)
{
    Console.Error.WriteLine($"Loading the world's base model for seed {seed} (trained and cached on first use, several minutes)...");
    modelFolder = WorldBaseModel.GetOrTrain(world.Value, cancellationToken: cancel.Token);
}
else if (!File.Exists(Path.Combine(modelFolder, "config.json")))
{
    Console.Error.WriteLine($"'{modelFolder}' holds no config.json; expected a Hugging Face model folder (config.json, *.safetensors, tokenizer files).");
    return 2;
}

var tokenizer = HfTokenizer.FromFolder(modelFolder);
string name = Path.GetFileName(Path.TrimEndingDirectorySeparator(modelFolder));
using var baseModel = CausalLM.FromPretrained(modelFolder, modelOptions, loggerFactory.CreateLogger("Model"));
var clients = new List<(string Label, IChatClient Client)>
{
    ("base", new SafeAlignChatClient(baseModel, tokenizer, new SafeAlignChatClientOptions { ModelId = name }, loggerFactory.CreateLogger<SafeAlignChatClient>())),
};
Console.Error.WriteLine($"model: {modelFolder} (template {((SafeAlignChatClient)clients[0].Client).Template.Name})");

using var aligned = align ? CausalLM.FromPretrained(modelFolder, modelOptions) : null;
if (aligned is not null)
{
    // SFT on the world's alignment data (harmful → refusal, benign and task rows) as a LoRA, then merged: the world's recipe.
    var clock = Stopwatch.StartNew();
    Console.Error.Write("aligning with SFT on the world's alignment data: ");
    var progress = new Progress<TrainingProgress>(p => Console.Error.Write($"\raligning with SFT on the world's alignment data: step {p.Step}/{p.TotalSteps}, loss {p.Loss:F3}   "));
    await new SftDefense(new SftOptions { Seed = seed }, loggerFactory).AlignAsync(new AlignmentRequest(aligned, tokenizer, WorldAlignment.Data(world.Value)), progress, cancel.Token);
    aligned.MergeAndDetachLora();
    Console.Error.WriteLine($"\raligning with SFT on the world's alignment data: done in {clock.Elapsed.TotalSeconds:F0} s                 ");
    clients.Add(("aligned", new SafeAlignChatClient(aligned, tokenizer, new SafeAlignChatClientOptions { ModelId = name + "+sft" }, loggerFactory.CreateLogger<SafeAlignChatClient>())));
}

var chatOptions = new ChatOptions { MaxOutputTokens = maxTokens, Temperature = temperature };
var histories = clients.ToDictionary(c => c.Label, _ => new List<ChatMessage>());
int width = clients.Max(c => c.Label.Length) + 1;

async Task Answer(string message)
{
    Console.WriteLine($"> {message}");
    foreach (var (label, client) in clients)
    {
        // The Alpaca format holds one exchange: each message starts afresh. Chat templates keep the conversation.
        var history = histories[label];
        if (client.GetService<IChatTemplate>() is AlpacaTemplate)
            history.Clear();
        history.Add(new ChatMessage(ChatRole.User, message));
        Console.Write($"{(label + ":").PadRight(width)} ");
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in client.GetStreamingResponseAsync(history, chatOptions, cancel.Token))
        {
            Console.Write(update.Text.ReplaceLineEndings(" "));
            updates.Add(update);
        }
        var response = updates.ToChatResponse();
        history.AddMessages(response);
        Console.WriteLine($"  [{response.Usage?.OutputTokenCount} tokens, {response.FinishReason}]");
    }
}

if (prompt is not null)
{
    await Answer(prompt);
    return 0;
}
Console.Error.WriteLine("Type a message and press Enter (an empty line or Ctrl-D quits).");
while (!cancel.IsCancellationRequested && Console.ReadLine() is { Length: > 0 } line)
    await Answer(line);
return 0;
