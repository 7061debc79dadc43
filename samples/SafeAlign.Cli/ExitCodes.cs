namespace SafeAlign.Cli;

/// <summary>The exit codes of <c>safealign</c>; scripts can branch on them.</summary>
public static class ExitCodes
{
    /// <summary>The command did what it was asked.</summary>
    public const int Ok = 0;

    /// <summary>Any failure not covered below (a bug, the native runtime failing to load, out of memory, ...).</summary>
    public const int Failure = 1;

    /// <summary>The command line is wrong: unknown command or option, a missing or malformed value, conflicting options, invalid settings.</summary>
    public const int Usage = 2;

    /// <summary>An input file or folder is missing or malformed (data file, model folder, tokenizer, adapter, token mask, settings file).</summary>
    public const int BadInput = 3;

    /// <summary>Cancelled (Ctrl+C) before the command finished; nothing half-written is left.</summary>
    public const int Cancelled = 130;
}
