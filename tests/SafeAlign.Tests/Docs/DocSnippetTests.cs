namespace SafeAlign.Tests.Docs;

/// <summary>
/// Every <c>```csharp</c> block of README.md and docs/*.md compiles against the library (docs/contributing.md gives
/// the convention: top-level statements, ambient variables, the <c>no-compile</c> marker).
/// </summary>
public sealed class DocSnippetTests
{
    private static string Root()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "SafeAlign.sln")))
            dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException($"SafeAlign.sln not found above {AppContext.BaseDirectory}");
    }

    private static IEnumerable<string> MarkdownFiles()
    {
        string root = Root();
        return new[] { Path.Combine(root, "README.md") }.Concat(Directory.GetFiles(Path.Combine(root, "docs"), "*.md").Order(StringComparer.Ordinal));
    }

    private static IReadOnlyList<DocSnippet> All() =>
        MarkdownFiles().SelectMany(f => DocSnippets.Extract(File.ReadAllText(f), Path.GetRelativePath(Root(), f))).ToList();

    /// <summary>The compiled snippets, one test case each, named by file and line.</summary>
    public static TheoryData<string> CompiledSnippets()
    {
        var data = new TheoryData<string>();
        foreach (var snippet in All().Where(s => s.Compiled))
            data.Add(snippet.ToString());
        return data;
    }

    [Theory]
    [MemberData(nameof(CompiledSnippets))]
    public void Snippet_Compiles(string location)
    {
        var snippet = All().Single(s => s.ToString() == location);

        var errors = SnippetCompiler.Errors(snippet.Code);

        Assert.True(errors.Count == 0, $"{location} does not compile:\n{string.Join('\n', errors)}\n---\n{snippet.Code}");
    }

    [Fact]
    public void Docs_HaveCompiledSnippets_AndNoOtherCSharpFenceNames()
    {
        Assert.True(All().Count(s => s.Compiled) >= 10, "expected the docs' C# snippets to be found");
        foreach (string file in MarkdownFiles())
        {
            foreach (var (line, info) in DocSnippets.Fences(File.ReadAllText(file)))
            {
                string name = info.Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? "";
                Assert.False(DocSnippets.OtherCSharpNames.Contains(name, StringComparer.Ordinal),
                    $"{file}:{line}: fence '{info}' names C# as '{name}'; write ```csharp (or ```csharp {DocSnippets.NoCompile}) so the snippet check sees it");
            }
        }
    }

    [Fact]
    public void Extract_FindsIndentedBlocks_HonoursNoCompile()
    {
        const string markdown = """
            Text.

            ```csharp
            var x = 1;
            ```

            - In a list:
              ```csharp no-compile
              var y = Undefined();
              ```

            ```bash
            dotnet test
            ```
            """;

        var snippets = DocSnippets.Extract(markdown, "x.md").ToList();

        Assert.Equal(2, snippets.Count);
        Assert.Equal(("x.md", 3, "var x = 1;", true), (snippets[0].File, snippets[0].Line, snippets[0].Code, snippets[0].Compiled));
        Assert.Equal(("var y = Undefined();", false), (snippets[1].Code, snippets[1].Compiled));
        Assert.Equal(["csharp", "csharp no-compile", "bash"], DocSnippets.Fences(markdown).Select(f => f.Info));
    }

    [Fact]
    public void Compiler_ReportsErrors_WithSnippetLines_AndKnowsTheAmbientVariables()
    {
        Assert.Empty(SnippetCompiler.Errors("using SafeAlign.Native;\n\nvar device = SafeAlignDevice.Resolve(\"cpu\");\nConsole.WriteLine(model.Config.HiddenSize + tokenizer.VocabularySize);"));
        // A snippet may declare an ambient name itself.
        Assert.Empty(SnippetCompiler.Errors("var world = SafetyWorld.Generate(new SafetyWorldOptions { Seed = 1 });\nawait Task.Yield();"));

        var errors = SnippetCompiler.Errors("using SafeAlign.Native;\n\nvar a = 1;\nvar b = NoSuchMethod(a);");

        Assert.Single(errors);
        Assert.StartsWith("line 4: CS0103", errors[0], StringComparison.Ordinal);
    }
}
