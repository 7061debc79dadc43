using SafeAlign.Cli.Hosting;
using SafeAlign.Models;

namespace SafeAlign.Cli.Files;

/// <summary>Writes Hugging Face model folders: a merged model, or a copy of an existing folder, each built beside the target and renamed into place.</summary>
public static class ModelFolders
{
    // Files that describe tokenisation and generation rather than weights: copied from the source folder unchanged.
    private static readonly HashSet<string> CompanionFiles = new(StringComparer.Ordinal)
    {
        "tokenizer.json", "tokenizer_config.json", "tokenizer.model", "special_tokens_map.json", "added_tokens.json",
        "vocab.json", "merges.txt", "generation_config.json", "chat_template.jinja", "chat_template.json",
    };

    /// <summary>
    /// Saves <paramref name="model"/> (no adapter attached: merge it first) as a Hugging Face folder at <paramref name="target"/>:
    /// its <c>config.json</c>, one <c>model.safetensors</c>, and the tokenizer and generation files of <paramref name="sourceFolder"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">An adapter is still attached.</exception>
    /// <exception cref="CliUsageException">The target exists and is neither empty nor a model folder.</exception>
    public static void SaveMerged(CausalLM model, string sourceFolder, string target)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.Lora is not null)
            throw new InvalidOperationException("The model still has an adapter attached; merge it (MergeAndDetachLora) before saving a merged folder.");
        Replace(target, temp =>
        {
            model.SavePretrained(temp);
            foreach (string file in Directory.EnumerateFiles(sourceFolder).Where(f => CompanionFiles.Contains(Path.GetFileName(f))))
                File.Copy(file, Path.Combine(temp, Path.GetFileName(file)));
        });
    }

    /// <summary>Copies the files of <paramref name="source"/> (not its subfolders) to <paramref name="target"/>.</summary>
    public static void Copy(string source, string target) =>
        Replace(target, temp =>
        {
            foreach (string file in Directory.EnumerateFiles(source))
                File.Copy(file, Path.Combine(temp, Path.GetFileName(file)));
        });

    // Builds the folder under a temp name beside the target, then swaps it in; only an empty folder or a model/adapter folder is replaced.
    private static void Replace(string target, Action<string> build)
    {
        ArgumentException.ThrowIfNullOrEmpty(target);
        string full = Path.GetFullPath(target);
        if (Directory.Exists(full) && Directory.EnumerateFileSystemEntries(full).Any()
            && !File.Exists(Path.Combine(full, "config.json")))
            throw new CliUsageException($"'{target}' exists and is not a model folder; choose an empty or new folder.");
        if (File.Exists(full))
            throw new CliUsageException($"'{target}' is a file; expected a folder.");
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        string temp = full + ".tmp-" + Guid.NewGuid().ToString("N");
        Directory.CreateDirectory(temp);
        try
        {
            build(temp);
            if (Directory.Exists(full))
                Directory.Delete(full, recursive: true);
            Directory.Move(temp, full);
        }
        finally
        {
            if (Directory.Exists(temp))
                Directory.Delete(temp, recursive: true);
        }
    }
}
