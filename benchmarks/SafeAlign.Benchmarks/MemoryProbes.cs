using System.Diagnostics;
using System.Globalization;
using SafeAlign.Models;
using SafeAlign.Models.Safetensors;
using SafeAlign.Native;
using SafeAlign.Training;
using TorchSharp;

namespace SafeAlign.Benchmarks;

/// <summary>
/// Native-memory measurements BenchmarkDotNet cannot make (its memory diagnoser sees managed allocations only):
/// process RSS over a long training loop, and the peak extra RSS while loading a checkpoint. Linux only (/proc).
/// </summary>
internal static class MemoryProbes
{
    /// <summary>Trains the small config with LoRA for <paramref name="steps"/> steps and prints RSS every 50 steps.</summary>
    public static int TrainingLoopRss(int steps)
    {
        SafeAlignDevice.Resolve("cpu");
        var config = BenchmarkModels.Small;
        using var model = BenchmarkModels.Create(config, lora: true);
        var data = BenchmarkModels.Examples(64, BenchmarkModels.SequenceLength, config.VocabSize);
        var samples = new List<(int Step, double RssMb)>();
        var progress = new SyncProgress(p => samples.Add((p.Step, Status("VmRSS") / 1048576.0)));
        var options = new TrainerOptions { LearningRate = 1e-4, BatchSize = BenchmarkModels.Batch, MaxSteps = steps, LogEvery = 50, Seed = 1 };

        var report = new Trainer(options).Run(model, data, progress: progress);

        Console.WriteLine("step,rss_mb");
        foreach (var (step, rss) in samples)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{step},{rss:F1}"));
        var settled = samples.Where(s => s.Step >= 100).Select(s => s.RssMb).ToList();
        double first = settled[0], min = settled.Min(), max = settled.Max();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"after warm-up (step >= 100): first {first:F1} MB, min {min:F1}, max {max:F1}, last {settled[^1]:F1}; spread {(max - min) / first * 100:F2}% of the first; {report.TokensPerSecond:F0} tokens/s over {report.Elapsed.TotalSeconds:F0} s"));
        return 0;
    }

    /// <summary>Generates a ~570 MB fp32 checkpoint (and a bf16 copy) and measures each load in a fresh process.</summary>
    public static int CheckpointLoadPeak()
    {
        string root = Path.Combine(Path.GetTempPath(), "safealign-load-memory");
        foreach (var dtype in new[] { torch.ScalarType.Float32, torch.ScalarType.BFloat16 })
        {
            string folder = Path.Combine(root, dtype.ToString());
            if (!File.Exists(Path.Combine(folder, SafetensorsCheckpoint.SingleFileName)))
                Child("write-checkpoint", folder, dtype.ToString());
            Child("load-checkpoint", folder);
        }
        return 0;
    }

    /// <summary>
    /// Peak extra RSS of alignment training steps per defense, each defense in a fresh process: the small config (4 layers,
    /// d = 256) with LoRA on all projections, <paramref name="batch"/> × 128 tokens, 4 optimizer steps.
    /// </summary>
    /// <remarks>
    /// Each defense runs twice: with glibc's default allocator, whose dynamic mmap threshold keeps freed blocks in the heap
    /// (the RSS a user sees, but it says little about which tensors were alive), and with <c>MALLOC_MMAP_THRESHOLD_=65536</c>,
    /// which returns every block of 64 KiB or more to the system when freed, so the peak follows the live tensors.
    /// </remarks>
    public static int DefenseStepPeaks(int batch)
    {
        Console.WriteLine("defense,batch,malloc,peak_extra_mb,steps_s");
        foreach (string? threshold in new[] { null, "65536" })
        {
            foreach (string defense in DefenseStepFixture.Defenses)
            {
                var environment = threshold is null ? null : new Dictionary<string, string> { ["MALLOC_MMAP_THRESHOLD_"] = threshold };
                ChildWith(environment, "defense-step-peak", defense, batch.ToString(CultureInfo.InvariantCulture), threshold is null ? "default" : $"mmap{threshold}");
            }
        }
        return 0;
    }

    /// <summary>Child-process entry points (a fresh process gives a clean peak-RSS counter).</summary>
    public static int ChildMain(string[] args)
    {
        if (args[0] == "defense-step-peak")
            return DefenseStepPeak(args[1], int.Parse(args[2], CultureInfo.InvariantCulture), args[3]);

        SafeAlignDevice.Resolve("cpu");
        string folder = args[1];
        if (args[0] == "write-checkpoint")
        {
            var dtype = Enum.Parse<torch.ScalarType>(args[2]);
            var config = new ModelConfig { VocabSize = 32000, HiddenSize = 1024, IntermediateSize = 2816, NumHiddenLayers = 6, NumAttentionHeads = 16, NumKeyValueHeads = 16, HeadDim = 64 };
            Directory.CreateDirectory(folder);
            File.WriteAllText(Path.Combine(folder, "config.json"), """
                {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": 32000, "hidden_size": 1024,
                 "intermediate_size": 2816, "num_hidden_layers": 6, "num_attention_heads": 16, "num_key_value_heads": 16,
                 "rms_norm_eps": 1e-5, "max_position_embeddings": 2048, "tie_word_embeddings": false}
                """);
            using var model = new CausalLM(config, dtype);
            model.InitializeWeights(0);
            SafetensorsWriter.Save(Path.Combine(folder, SafetensorsCheckpoint.SingleFileName), model.state_dict());
            return 0;
        }

        long fileBytes = new FileInfo(Path.Combine(folder, SafetensorsCheckpoint.SingleFileName)).Length;
        GC.Collect();
        long baseline = Status("VmRSS");
        var clock = Stopwatch.StartNew();
        using var loaded = CausalLM.FromPretrained(folder, new ModelOptions { Device = new DeviceOptions { Device = "cpu" }, ComputeDtype = torch.ScalarType.Float32 });
        double seconds = clock.Elapsed.TotalSeconds;
        long peak = Status("VmHWM");
        long modelBytes = loaded.parameters().Sum(p => p.numel() * p.element_size());
        long extra = peak - baseline - modelBytes;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{Path.GetFileName(folder)} file {fileBytes / 1048576.0:F0} MB -> fp32 model {modelBytes / 1048576.0:F0} MB in {seconds:F2} s: peak RSS over baseline {(peak - baseline) / 1048576.0:F0} MB, extra beyond the weights {extra / 1048576.0:F1} MB = {100.0 * extra / modelBytes:F2}% of the model"));
        return 0;
    }

    // The training memory of one defense: RSS high-water mark over 4 steps above the RSS after set-up (model, optimizer,
    // batches, libtorch), so it counts activations, gradients, optimizer moments and the method's extra tensors.
    private static int DefenseStepPeak(string defense, int batch, string malloc)
    {
        SafeAlignDevice.Resolve("cpu");
        using var fixture = new DefenseStepFixture(BenchmarkModels.Small, batch);
        var step = fixture.Create(defense);
        GC.Collect();
        long baseline = Status("VmRSS");
        File.WriteAllText("/proc/self/clear_refs", "5"); // resets VmHWM to the current RSS
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < 4; i++)
            fixture.Step(step);
        double seconds = clock.Elapsed.TotalSeconds;
        long peak = Status("VmHWM");
        (step as IDisposable)?.Dispose();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{defense},{batch},{malloc},{(peak - baseline) / 1048576.0:F1},{seconds:F2}"));
        return 0;
    }

    private static void Child(params string[] args) => ChildWith(null, args);

    private static void ChildWith(Dictionary<string, string>? environment, params string[] args)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!) { UseShellExecute = false };
        foreach (var (name, value) in environment ?? [])
            start.Environment[name] = value;
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet")
            start.ArgumentList.Add(typeof(MemoryProbes).Assembly.Location);
        foreach (string a in args)
            start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"child '{string.Join(' ', args)}' exited with {process.ExitCode}");
    }

    // /proc/self/status fields are in kB.
    private static long Status(string field)
    {
        foreach (string line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
                return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
        }
        throw new InvalidOperationException($"/proc/self/status has no {field}");
    }

    private sealed class SyncProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
