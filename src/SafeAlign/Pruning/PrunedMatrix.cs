namespace SafeAlign.Pruning;

/// <summary>What a pruner did to one weight matrix.</summary>
/// <param name="Parameter">The parameter's name in the model, e.g. "model.layers.0.self_attn.q_proj.lora_A.weight".</param>
/// <param name="Layer">Decoder layer index.</param>
/// <param name="Module">Projection inside the layer, e.g. "self_attn.q_proj".</param>
/// <param name="Rows">Output rows of the matrix.</param>
/// <param name="Columns">Input columns of the matrix (the entries a row competes among).</param>
/// <param name="PrunedPerRow">Entries zeroed in every row.</param>
/// <param name="Pruned">Entries zeroed in the matrix (rows × per row).</param>
/// <param name="ScoreMin">Smallest score in the matrix.</param>
/// <param name="ScoreMean">Mean score.</param>
/// <param name="ScoreMax">Largest score.</param>
/// <param name="PrunedScoreMean">Mean score of the zeroed entries (NaN when none was zeroed).</param>
/// <param name="ThresholdMean">Mean over rows of the smallest zeroed score (the row's threshold; NaN when none was zeroed).</param>
public sealed record PrunedMatrix(
    string Parameter, int Layer, string Module, long Rows, long Columns, long PrunedPerRow, long Pruned,
    double ScoreMin, double ScoreMean, double ScoreMax, double PrunedScoreMean, double ThresholdMean);
