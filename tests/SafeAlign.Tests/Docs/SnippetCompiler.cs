using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace SafeAlign.Tests.Docs;

/// <summary>
/// Compiles a docs snippet with Roslyn as a C# top-level program against the library, as docs/contributing.md describes:
/// its leading using directives stay at the top; it sees the implicit usings of a console app and every public namespace of
/// SafeAlign, SafeAlign.Testing and SafeAlign.Reporting; and the ambient variables below are declared before it unless it declares a variable of the same name.
/// Nothing is emitted or run.
/// </summary>
internal static class SnippetCompiler
{
    /// <summary>Variables a snippet may use without declaring them (name, type), as listed in docs/contributing.md.</summary>
    public static readonly (string Name, string Type)[] Ambient =
    [
        ("model", "SafeAlign.Models.CausalLM"),
        ("tokenizer", "SafeAlign.Tokenization.HfTokenizer"),
        ("data", "SafeAlign.Data.AlignmentData"),
        ("world", "SafeAlign.Evaluation.World.SafetyWorld"),
        ("logger", "Microsoft.Extensions.Logging.ILogger"),
        ("loggerFactory", "Microsoft.Extensions.Logging.ILoggerFactory"),
        ("ct", "System.Threading.CancellationToken"),
    ];

    private static readonly string[] ImplicitUsings =
        ["System", "System.Collections.Generic", "System.IO", "System.Linq", "System.Net.Http", "System.Threading", "System.Threading.Tasks"];

    private static readonly CSharpParseOptions Parse = new(LanguageVersion.Latest);

    private static readonly Lazy<IReadOnlyList<MetadataReference>> References = new(() =>
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => p.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) && IsManaged(p))
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .ToList());

    // The library and its companion projects whose namespaces snippets see without a using.
    private static readonly Assembly[] SafeAlignAssemblies =
        [typeof(SafeAlign.Models.CausalLM).Assembly, typeof(SafeAlign.Testing.TinySafetyWorld).Assembly, typeof(SafeAlign.Reporting.ExperimentCharts).Assembly];

    private static readonly Lazy<string> GlobalUsings = new(() =>
        string.Join('\n', ImplicitUsings.Concat(SafeAlignAssemblies.SelectMany(a => a.GetExportedTypes())
                .Select(t => t.Namespace).OfType<string>().Distinct().Order(StringComparer.Ordinal))
            .Select(n => $"global using {n};")));

    /// <summary>The compiler's errors for the snippet, each as "line N: CSxxxx message" with lines counted in the snippet.</summary>
    public static IReadOnlyList<string> Errors(string code)
    {
        var snippet = CSharpSyntaxTree.ParseText(code, Parse);
        var root = (CompilationUnitSyntax)snippet.GetRoot();
        var declared = root.DescendantNodes().SelectMany(Declared).ToHashSet(StringComparer.Ordinal);
        // The ambient declarations go after the snippet's using directives and before its first statement; #line keeps
        // the snippet's own line numbers in the messages.
        string usings = string.Concat(root.Usings.Select(u => u.ToFullString()));
        string body = code[(root.Usings.Count == 0 ? 0 : root.Usings.Last().FullSpan.End)..];
        int bodyLine = root.Usings.Count == 0 ? 1 : snippet.GetLineSpan(root.Usings.Last().FullSpan).EndLinePosition.Line + 1;
        string ambient = string.Concat(Ambient.Where(a => !declared.Contains(a.Name)).Select(a => $"{a.Type} {a.Name} = default!;\n"));
        string program = $"{usings}\n#line hidden\n{ambient}#line {bodyLine}\n{body}\n";

        var compilation = CSharpCompilation.Create("DocSnippet",
            [CSharpSyntaxTree.ParseText(GlobalUsings.Value, Parse), CSharpSyntaxTree.ParseText(program, Parse, path: "snippet.cs")],
            References.Value,
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable));
        return compilation.GetDiagnostics()
            .Where(d => d.Severity == DiagnosticSeverity.Error)
            .Select(d => $"line {d.Location.GetMappedLineSpan().StartLinePosition.Line + 1}: {d.Id} {d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}")
            .ToList();
    }

    // Names the snippet declares as locals (variables, out vars, patterns, foreach and using variables).
    private static IEnumerable<string> Declared(SyntaxNode node) => node switch
    {
        VariableDeclaratorSyntax v => [v.Identifier.ValueText],
        SingleVariableDesignationSyntax d => [d.Identifier.ValueText],
        ForEachStatementSyntax f => [f.Identifier.ValueText],
        LocalFunctionStatementSyntax l => [l.Identifier.ValueText],
        _ => [],
    };

    private static bool IsManaged(string path)
    {
        try
        {
            AssemblyName.GetAssemblyName(path);
            return true;
        }
        catch (BadImageFormatException)
        {
            return false;
        }
    }
}
