using System.IO.Compression;
using System.Xml.Linq;
using SafeAlign.Native;

namespace SafeAlign.Tests.Packaging;

/// <summary>
/// Packs SafeAlign into the repository's local feed and builds, publishes and runs a throwaway
/// console app that takes it by PackageReference (plus TorchSharp-cpu), as a user would. Proves the
/// package metadata and that buildTransitive/SafeAlign.targets patches the app's libLibTorchSharp.so.
/// </summary>
[Trait("Category", "Consumer")]
public sealed class PackageConsumerTests
{
    private const string ConsumerProgram = """
        using SafeAlign.Defenses;
        using SafeAlign.Defenses.Sft;
        using SafeAlign.Evaluation.World;
        using SafeAlign.Models;
        using SafeAlign.Native;
        using SafeAlign.Tokenization;
        using TorchSharp;

        var device = SafeAlignDevice.Resolve("auto");
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(3);
        var a = torch.randn(256, 256, requires_grad: true);
        var b = torch.randn(256, 256);
        torch.matmul(a, b).sum().backward();
        double gradError = (a.grad! - b.sum(1).unsqueeze(0)).abs().max().item<float>();
        var q = torch.randn(1, 2, 8, 4);
        var sdpa = torch.nn.functional.scaled_dot_product_attention(q, q, q, is_casual: true);
        var mask = torch.ones(8, 8, dtype: torch.@bool).tril().logical_not();
        var manual = torch.matmul((torch.matmul(q, q.transpose(-2, -1)) / 2.0).masked_fill(mask, double.NegativeInfinity).softmax(-1), q);
        double attentionError = (sdpa - manual).abs().max().item<float>();
        Console.WriteLine($"consumer device={device.Device} grad_error={gradError:E1} attention_error={attentionError:E1}");

        // A stage on the embedded world, as a user's first program would run it: a tiny world and base model, then SFT.
        var world = SafetyWorld.Generate(new SafetyWorldOptions
        {
            Seed = 4, PretrainingSize = 120, AlignmentSize = 24, AlignmentBenignSize = 8, AttackPoolSize = 8,
            HarmfulTestSize = 4, BenignTestSize = 4, TaskTrainSize = 8, TaskTestSize = 4,
        });
        string cache = Path.Combine(Path.GetTempPath(), "safealign-consumer-" + Guid.NewGuid().ToString("N"));
        string folder = WorldBaseModel.GetOrTrain(world, new WorldBaseModelOptions
        {
            Layers = 1, Hidden = 32, Heads = 2, Intermediate = 64, VocabularySize = 512, Steps = 4, BatchSize = 8, CacheDirectory = cache,
        });
        using var model = CausalLM.FromPretrained(folder);
        var aligned = await new SftDefense(new SftOptions { Epochs = 2, BatchSize = 8 })
            .AlignAsync(new AlignmentRequest(model, HfTokenizer.FromFolder(folder), WorldAlignment.Data(world)));
        Directory.Delete(cache, recursive: true);
        double first = aligned.Training.Losses[0], last = aligned.Training.Losses[^1];
        Console.WriteLine($"consumer sft steps={aligned.Training.Steps} loss {first:F3} -> {last:F3}");
        return gradError < 1e-3 && attentionError < 1e-5 && last < first ? 0 : 1;
        """;

    [Fact]
    public void PackedPackage_ConsumedByPackageReference_BuildsPublishesAndRunsTorch()
    {
        string root = RepositoryRoot();
        string feed = Path.Combine(root, "artifacts", "packages");
        // A version no earlier run used, so the NuGet cache never serves a stale SafeAlign.
        string version = "0.1.0-consumer." + DateTime.UtcNow.ToString("yyyyMMddHHmmss") + "." + Environment.ProcessId;
        string package = Path.Combine(feed, $"SafeAlign.{version}.nupkg");
        using var app = new TempDirectory();
        try
        {
            Expect(DotnetCli.Run(root, ["pack", "src/SafeAlign/SafeAlign.csproj", "-c", "Release", "-o", feed, $"-p:Version={version}", "-nodeReuse:false"]));
            AssertPackageLayout(package);

            File.WriteAllText(app.File("Consumer.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <OutputType>Exe</OutputType>
                    <TargetFramework>net10.0</TargetFramework>
                    <ImplicitUsings>enable</ImplicitUsings>
                    <Nullable>enable</Nullable>
                  </PropertyGroup>
                  <ItemGroup>
                    <PackageReference Include="SafeAlign" Version="{version}" />
                    <PackageReference Include="TorchSharp-cpu" Version="0.107.0" />
                  </ItemGroup>
                </Project>
                """);
            File.WriteAllText(app.File("Program.cs"), ConsumerProgram);
            File.WriteAllText(app.File("nuget.config"), $"""
                <configuration>
                  <packageSources>
                    <add key="safealign-local" value="{feed}" />
                  </packageSources>
                </configuration>
                """);

            string build = Expect(DotnetCli.Run(app.Path, ["build", "-c", "Release", "-nodeReuse:false", "-v:n"]));
            Assert.Contains("SafeAlign: ", build); // the buildTransitive target ran and said what it did
            string publish = Expect(DotnetCli.Run(app.Path, ["publish", "-c", "Release", "-o", app.File("publish"), "-nodeReuse:false", "-v:n"]));
            Assert.Contains("SafeAlign: ", publish);

            var bindNow = new Dictionary<string, string> { ["LD_BIND_NOW"] = "1" };
            foreach (string dll in new[] { app.File("bin/Release/net10.0/Consumer.dll"), app.File("publish/Consumer.dll") })
            {
                string run = Expect(DotnetCli.Run(app.Path, [dll], bindNow));
                Assert.Contains("consumer device=", run);
                Assert.Contains("consumer sft steps=", run);
                string loaded = Path.Combine(Path.GetDirectoryName(dll)!, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
                string? system = GlibcxxPatch.FindSystemLibstdcxx();
                Assert.Equal(system is null || !GlibcxxPatch.Provides(system), !GlibcxxPatch.HasStrongNeed(loaded));
            }
            // The NuGet cache keeps the library exactly as shipped.
            Assert.True(GlibcxxPatch.HasStrongNeed(ShippedLibTorchSharpInCache()));
        }
        finally
        {
            File.Delete(package);
            File.Delete(Path.ChangeExtension(package, ".snupkg"));
        }
    }

    private static void AssertPackageLayout(string package)
    {
        using var zip = ZipFile.OpenRead(package);
        var entries = zip.Entries.Select(e => e.FullName).ToHashSet();
        Assert.Contains("buildTransitive/SafeAlign.targets", entries);
        Assert.Contains("buildTransitive/LibTorchSharpGlibcxxPatch.cs", entries);
        Assert.Contains("lib/net10.0/SafeAlign.dll", entries);
        Assert.Contains("lib/net10.0/SafeAlign.xml", entries);
        Assert.Contains("lib/net8.0/SafeAlign.dll", entries);
        Assert.Contains("README.md", entries);
        Assert.True(File.Exists(Path.ChangeExtension(package, ".snupkg")), "the symbols package sits beside the package");

        var nuspec = zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal));
        XDocument manifest;
        using (var stream = nuspec.Open())
            manifest = XDocument.Load(stream);
        var dependencies = manifest.Descendants().Where(e => e.Name.LocalName == "dependency")
            .Select(e => (string)e.Attribute("id")!).ToHashSet();
        Assert.Contains("TorchSharp", dependencies);
        Assert.Contains("Microsoft.ML.Tokenizers", dependencies);
        // The app chooses the native runtime; the library must not drag one in.
        Assert.DoesNotContain(dependencies, d => d.StartsWith("TorchSharp-", StringComparison.Ordinal) || d.StartsWith("libtorch", StringComparison.Ordinal));
        var metadata = manifest.Descendants().ToList();
        Assert.Equal("MIT", metadata.Single(e => e.Name.LocalName == "license").Value);
        Assert.Equal("README.md", metadata.Single(e => e.Name.LocalName == "readme").Value);
    }

    private static string Expect((int ExitCode, string Output) result)
    {
        Assert.True(result.ExitCode == 0, result.Output);
        return result.Output;
    }

    private static string ShippedLibTorchSharpInCache()
    {
        string packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p
            ? p
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        return Path.Combine(packages, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SafeAlign.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException($"SafeAlign.sln not found above {AppContext.BaseDirectory}");
    }
}
