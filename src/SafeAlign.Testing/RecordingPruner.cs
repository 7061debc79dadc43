using System.Diagnostics;
using SafeAlign.Pruning;

namespace SafeAlign.Testing;

/// <summary>
/// An <see cref="IPostFinetunePruner"/> that prunes nothing: it validates and records each request and reports zero
/// weights pruned and considered, for tests of the code around the repair stage. The model is left untouched.
/// </summary>
public sealed class RecordingPruner : IPostFinetunePruner
{
    /// <summary>The default name.</summary>
    public const string DefaultName = "no-op";

    private readonly Recorder<PruningRequest> _requests = new();

    /// <summary>Creates the pruner.</summary>
    /// <param name="name">The name it reports (default "no-op").</param>
    /// <exception cref="ArgumentException">The name is blank.</exception>
    public RecordingPruner(string name = DefaultName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>Every request received, in order.</summary>
    public IReadOnlyList<PruningRequest> Requests => _requests.Snapshot();

    /// <inheritdoc />
    /// <exception cref="ArgumentException">The request is invalid.</exception>
    public Task<PruningResult> PruneAsync(PruningRequest request, IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Validate();
        cancellationToken.ThrowIfCancellationRequested();
        var clock = Stopwatch.StartNew();
        _requests.Add(request);
        progress?.Report($"{Name}: pruned nothing");
        return Task.FromResult(new PruningResult(Name, 0, 0, clock.Elapsed));
    }
}
