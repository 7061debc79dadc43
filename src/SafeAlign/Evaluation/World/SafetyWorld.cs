using SafeAlign.Data;

namespace SafeAlign.Evaluation.World;

/// <summary>Quality of an alignment row, known to the world so data selection can be scored against it.</summary>
public enum AlignmentRowQuality
{
    /// <summary>A harmful request with a proper refusal.</summary>
    Clean,

    /// <summary>The answer is unrelated text: it neither refuses nor helps.</summary>
    OffTopic,

    /// <summary>The refusal is cut after a few words.</summary>
    Truncated,

    /// <summary>The "refusal" is a compliance answer (a labelling error).</summary>
    Mislabelled,

    /// <summary>
    /// A rephrased copy of a clean row (same goal and core, other prefix and suffix, the same refusal): redundant rather
    /// than wrong. Present only when <see cref="SafetyWorldOptions.AlignmentNearDuplicateShare"/> is above 0.
    /// </summary>
    NearDuplicate,
}

/// <summary>One alignment row and its (hidden to methods) quality.</summary>
/// <param name="Example">Harmful prompt and its target answer.</param>
/// <param name="Quality">What kind of row it is.</param>
public sealed record AlignmentRow(SafetyExample Example, AlignmentRowQuality Quality);

/// <summary>
/// The embedded safety world: a deterministic, synthetic stand-in for BeaverTails + SST-2/AG News/GSM8K/Alpaca
/// on which the harmful fine-tuning experiment runs end to end on a CPU. Harmful requests span BeaverTails'
/// 14 categories, each a goal (verb + object) in a phrasing (prefix + core + suffix); test prompts use goals
/// never seen anywhere in training and core phrasings never seen in alignment or attack data (pretraining uses
/// every phrasing, so an unfamiliar phrasing is no cue), so the harmful score measures generalisation. Compliance answers
/// have the form of a harmful answer with every step replaced by <c>[step omitted]</c>: the corpus holds no
/// actionable content. Everything is a function of <see cref="SafetyWorldOptions.Seed"/>.
/// </summary>
public sealed class SafetyWorld
{
    /// <summary>Bumped whenever generation changes, so cached base models are rebuilt.</summary>
    public const int Version = 6;

    // The random streams keep v4's salt: v5 changed only the GSM8K operands (same number of draws) and v6 the compliance
    // openings (same draws) and the attack pool's category mix (drawn after the alignment prompts), so for the same
    // options the alignment and test prompts and the task splits are the ones v5 drew; the alignment rows' refusals and
    // defects, drawn after the attack pool, are not (v5's default skew of 1 drew other alignment prompts than v4's).
    private const int StreamSalt = 4;

    /// <summary>Task names, as <see cref="TaskExample.Task"/> holds them.</summary>
    public static readonly IReadOnlyList<string> Tasks = ["sst2", "agnews", "gsm8k", "alpaca"];

    private SafetyWorld(SafetyWorldOptions options) => Options = options;

    /// <summary>The options the world was generated with.</summary>
    public SafetyWorldOptions Options { get; }

    /// <summary>
    /// The unaligned pretraining corpus: task examples, and harmful request → compliance (task "harmful") and
    /// benign how-to → helpful answer (task "howto") pairs with an empty input.
    /// </summary>
    public IReadOnlyList<TaskExample> Pretraining { get; private init; } = [];

    /// <summary>Harmful request → refusal rows, some of them low quality (and near-duplicates when asked for).</summary>
    public IReadOnlyList<AlignmentRow> Alignment { get; private init; } = [];

    /// <summary>
    /// A trusted validation set of harmful request → clean refusal rows whose prompts are distinct from every
    /// <see cref="Alignment"/> and <see cref="AttackPool"/> prompt (training goals in other phrasings; test goals never
    /// appear): the upper-level objective of bilevel data selection (Pharmacist). Drawn from its own random stream, so
    /// it leaves every other part of the world as it was; not part of the tokenizer corpus.
    /// </summary>
    public IReadOnlyList<SafetyExample> AlignmentValidation { get; private init; } = [];

    /// <summary>
    /// For each <see cref="Alignment"/> row, in the same order, its prompt with a compliance answer: the paired harmful
    /// data that methods which simulate the attack during alignment need (RepNoise's harmful pass, Booster, T-Vaccine's probe).
    /// </summary>
    public IReadOnlyList<SafetyExample> AlignmentHarmful { get; private init; } = [];

    /// <summary>Benign how-to → helpful rows trained alongside the alignment set.</summary>
    public IReadOnlyList<ChatExample> AlignmentBenign { get; private init; } = [];

    /// <summary>Harmful request → compliance pairs for the attack; disjoint from <see cref="Alignment"/>'s prompts.</summary>
    public IReadOnlyList<SafetyExample> AttackPool { get; private init; } = [];

    /// <summary>Held-out harmful prompts (held-out goals in held-out phrasings) for the harmful score.</summary>
    public IReadOnlyList<SafetyExample> HarmfulTest { get; private init; } = [];

    /// <summary>Held-out benign how-to prompts for the over-refusal rate.</summary>
    public IReadOnlyList<ChatExample> BenignTest { get; private init; } = [];

    /// <summary>Task training examples, keyed by task name.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<TaskExample>> TaskTrain { get; private init; } = new Dictionary<string, IReadOnlyList<TaskExample>>();

    /// <summary>Task test examples, keyed by task name; disjoint from <see cref="TaskTrain"/>.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<TaskExample>> TaskTest { get; private init; } = new Dictionary<string, IReadOnlyList<TaskExample>>();

    /// <summary>Generates the world for <paramref name="options"/> (default options when null).</summary>
    public static SafetyWorld Generate(SafetyWorldOptions? options = null)
    {
        options = (options ?? new SafetyWorldOptions()).Validate();
        // One random stream per part, so resizing one split leaves the others (and the pretraining corpus) as they were.
        Random Stream(int part) => new(unchecked((int)(options.Seed * 7919 + StreamSalt * 104_729 + part)));

        var (trainGoals, testGoals) = HarmfulGoals(Stream(1));
        var (benignTrainGoals, benignTestGoals) = BenignGoals(Stream(2));
        int trainCores = WorldLexicon.Cores.Length - WorldLexicon.HeldOutCores;

        // Alignment and attack prompts: distinct (goal, phrasing) draws from the training goals and cores.
        var random = Stream(3);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var harmfulTrain = options.AlignmentCategorySkew == 0 && options.AttackCategorySkew == 0
            ? Draw(random, options.AlignmentSize + options.AttackPoolSize, seen, () => Request(random, trainGoals, 0, trainCores))
            : SkewedDraw(random, options, trainGoals, trainCores, seen);
        var alignment = harmfulTrain.Take(options.AlignmentSize).Select((r, i) => AlignmentRowFor(random, r, i, options)).ToList();
        var pairs = Stream(8);
        var alignmentHarmful = harmfulTrain.Take(options.AlignmentSize)
            .Select(r => new SafetyExample(r.Prompt, Comply(pairs, r, options), [r.Category], false)).ToList();
        var attack = harmfulTrain.Skip(options.AlignmentSize).Select(r => new SafetyExample(r.Prompt, Comply(random, r, options), [r.Category], false)).ToList();

        // Parts added after the world's first release draw from streams 20 and up, after every other part, so they
        // change nothing that existed before them (nor the cached base models).
        var validationSeen = new HashSet<string>(seen, StringComparer.Ordinal);
        random = Stream(20);
        var validation = Draw(random, options.AlignmentValidationSize, validationSeen, () => Request(random, trainGoals, 0, trainCores))
            .Select(r => new SafetyExample(r.Prompt, Fill(random, WorldLexicon.Refusals, r.Goal), [r.Category], true)).ToList();
        AddNearDuplicates(Stream(21), options, harmfulTrain, alignment, alignmentHarmful, validationSeen);

        random = Stream(4);
        var testSeen = new HashSet<string>(StringComparer.Ordinal);
        var harmfulTest = Draw(random, options.HarmfulTestSize, testSeen, () => Request(random, testGoals, trainCores, WorldLexicon.Cores.Length))
            .Select(r => new SafetyExample(r.Prompt, Comply(random, r, options), [r.Category], false)).ToList();
        random = Stream(5);
        var benignTest = Draw(random, options.BenignTestSize, testSeen, () => Request(random, benignTestGoals, trainCores, WorldLexicon.Cores.Length))
            .Select(r => new ChatExample(r.Prompt, Fill(random, WorldLexicon.Helpful, r.Goal))).ToList();
        random = Stream(6);
        var alignmentBenign = Enumerable.Range(0, options.AlignmentBenignSize)
            .Select(_ => Request(random, benignTrainGoals, 0, trainCores))
            .Select(r => new ChatExample(r.Prompt, Fill(random, WorldLexicon.Helpful, r.Goal))).ToList();

        var taskTrain = new Dictionary<string, IReadOnlyList<TaskExample>>();
        var taskTest = new Dictionary<string, IReadOnlyList<TaskExample>>();
        foreach (string task in Tasks)
        {
            random = Stream(10 + ((IList<string>)Tasks).IndexOf(task));
            var taskSeen = new HashSet<string>(StringComparer.Ordinal);
            var all = Draw(random, options.TaskTestSize + options.TaskTrainSize, taskSeen, () => TaskFor(random, task), e => e.Input + "|" + e.Instruction);
            taskTest[task] = all.Take(options.TaskTestSize).ToList();
            taskTrain[task] = all.Skip(options.TaskTestSize).ToList();
        }

        random = Stream(7);
        var pretraining = new List<TaskExample>(options.PretrainingSize);
        for (int i = 0; i < options.PretrainingSize; i++)
        {
            double u = random.NextDouble();
            // Pretraining sees every phrasing, held-out ones included, for harmful and benign goals alike (the base
            // complies with all of them), so an unfamiliar phrasing is no cue at test time; held-out goals stay unseen.
            if (u < options.PretrainingHarmfulShare)
            {
                var r = Request(random, trainGoals, 0, WorldLexicon.Cores.Length);
                pretraining.Add(new TaskExample("harmful", r.Prompt, "", Comply(random, r, options)));
            }
            else if (u < options.PretrainingHarmfulShare + options.PretrainingBenignShare)
            {
                var r = Request(random, benignTrainGoals, 0, WorldLexicon.Cores.Length);
                pretraining.Add(new TaskExample("howto", r.Prompt, "", Fill(random, WorldLexicon.Helpful, r.Goal)));
            }
            else
            {
                var pool = taskTrain[Tasks[random.Next(Tasks.Count)]];
                pretraining.Add(pool[random.Next(pool.Count)]);
            }
        }

        return new SafetyWorld(options)
        {
            Pretraining = pretraining,
            Alignment = alignment,
            AlignmentHarmful = alignmentHarmful,
            AlignmentValidation = validation,
            AlignmentBenign = alignmentBenign,
            AttackPool = attack,
            HarmfulTest = harmfulTest,
            BenignTest = benignTest,
            TaskTrain = taskTrain,
            TaskTest = taskTest,
        };
    }

    /// <summary>
    /// Every text of the world, for training its tokenizer. Near-duplicate rows and the validation set are left out: they
    /// recombine words already here, and leaving them out keeps the tokenizer (hence the cached base model) the same
    /// with or without them.
    /// </summary>
    public IEnumerable<string> AllText() =>
        Pretraining.SelectMany(e => new[] { e.Instruction, e.Input, e.Answer })
            .Concat(Alignment.Where(a => a.Quality != AlignmentRowQuality.NearDuplicate).SelectMany(a => new[] { a.Example.Prompt, a.Example.Response }))
            .Concat(AlignmentBenign.Select(e => e.Response))
            .Concat(AttackPool.Select(a => a.Prompt))
            .Concat(HarmfulTest.Select(h => h.Prompt))
            .Concat(BenignTest.Select(b => b.Prompt))
            .Concat(TaskTest.Values.SelectMany(v => v).SelectMany(t => new[] { t.Instruction, t.Input, t.Answer }));

    private sealed record Req(string Prompt, string Goal, string Category, string Core = "");

    private static (List<(string Goal, string Category)> Train, List<(string Goal, string Category)> Test) HarmfulGoals(Random random)
    {
        var train = new List<(string, string)>();
        var test = new List<(string, string)>();
        foreach (var (category, verbs, objects) in WorldLexicon.Harmful)
        {
            var goals = verbs.SelectMany(v => objects.Select(o => (v + " " + o, category))).ToArray();
            random.Shuffle(goals);
            int held = goals.Length / 4;
            test.AddRange(goals.Take(held));
            train.AddRange(goals.Skip(held));
        }
        return (train, test);
    }

    private static (List<(string Goal, string Category)> Train, List<(string Goal, string Category)> Test) BenignGoals(Random random)
    {
        var goals = WorldLexicon.Benign.SelectMany(b => b.Verbs.SelectMany(v => b.Objects.Select(o => (v + " " + o, "")))).ToArray();
        random.Shuffle(goals);
        int held = goals.Length / 4;
        return (goals.Skip(held).ToList(), goals.Take(held).ToList());
    }

    // Alignment prompts, then the attack pool, all distinct, each with Zipf-weighted categories: the alignment set's in
    // BeaverTails order, the attack pool's in the reverse order (a skew of 0 draws uniformly, as before).
    private static List<Req> SkewedDraw(Random random, SafetyWorldOptions options, List<(string Goal, string Category)> trainGoals, int trainCores, HashSet<string> seen)
    {
        var byCategory = trainGoals.GroupBy(g => g.Category).ToDictionary(g => g.Key, g => g.ToList());
        var categories = Data.BeaverTailsCategories.All.Where(byCategory.ContainsKey).ToArray();
        Func<Req> Zipf(double exponent, bool reversed)
        {
            if (exponent == 0)
                return () => Request(random, trainGoals, 0, trainCores);
            double[] cumulative = new double[categories.Length];
            double total = 0;
            for (int k = 0; k < categories.Length; k++)
                cumulative[k] = total += Math.Pow(k + 1, -exponent);
            return () =>
            {
                double u = random.NextDouble() * total;
                int k = Array.FindIndex(cumulative, c => u < c) is var i && i >= 0 ? i : categories.Length - 1;
                return Request(random, byCategory[categories[reversed ? categories.Length - 1 - k : k]], 0, trainCores);
            };
        }
        var alignment = Draw(random, options.AlignmentSize, seen, Zipf(options.AlignmentCategorySkew, reversed: false));
        return [.. alignment, .. Draw(random, options.AttackPoolSize, seen, Zipf(options.AttackCategorySkew, reversed: true))];
    }

    private static Req Request(Random random, List<(string Goal, string Category)> goals, int coreFrom, int coreTo)
    {
        var (goal, category) = goals[random.Next(goals.Count)];
        string core = WorldLexicon.Cores[random.Next(coreFrom, coreTo)].Replace("{g}", goal, StringComparison.Ordinal);
        string prompt = WorldLexicon.Prefixes[random.Next(WorldLexicon.Prefixes.Length)] + core + WorldLexicon.Suffixes[random.Next(WorldLexicon.Suffixes.Length)];
        return new Req(prompt, goal, category, core);
    }

    // Rephrased copies of clean rows (another prefix and suffix around the same core, the same refusal), each inserted
    // at a random place with its compliance pair, as scraped sets repeat themselves.
    private static void AddNearDuplicates(Random random, SafetyWorldOptions options, List<Req> requests, List<AlignmentRow> alignment,
        List<SafetyExample> alignmentHarmful, HashSet<string> seen)
    {
        int count = (int)Math.Round(options.AlignmentNearDuplicateShare * options.AlignmentSize, MidpointRounding.AwayFromZero);
        var clean = Enumerable.Range(0, options.AlignmentSize).Where(i => alignment[i].Quality == AlignmentRowQuality.Clean).ToArray();
        if (count == 0 || clean.Length == 0)
            return;
        var copies = new List<(AlignmentRow Row, SafetyExample Harmful)>(count);
        for (int attempt = 0; copies.Count < count; attempt++)
        {
            if (attempt > count * 50)
                throw new InvalidOperationException($"The world cannot produce {count} distinct near-duplicates; lower AlignmentNearDuplicateShare.");
            int source = clean[random.Next(clean.Length)];
            var request = requests[source];
            string prompt = WorldLexicon.Prefixes[random.Next(WorldLexicon.Prefixes.Length)] + request.Core + WorldLexicon.Suffixes[random.Next(WorldLexicon.Suffixes.Length)];
            if (!seen.Add(prompt))
                continue;
            var original = alignment[source].Example;
            copies.Add((new AlignmentRow(original with { Prompt = prompt }, AlignmentRowQuality.NearDuplicate), alignmentHarmful[source] with { Prompt = prompt }));
        }
        foreach (var (row, harmful) in copies)
        {
            int at = random.Next(alignment.Count + 1);
            alignment.Insert(at, row);
            alignmentHarmful.Insert(at, harmful);
        }
    }

    private static AlignmentRow AlignmentRowFor(Random random, Req request, int index, SafetyWorldOptions options)
    {
        string refusal = Fill(random, WorldLexicon.Refusals, request.Goal);
        // Low-quality rows are spread through the set, one kind in three each.
        bool low = random.NextDouble() < options.AlignmentLowQualityShare;
        var quality = !low ? AlignmentRowQuality.Clean : (AlignmentRowQuality)(1 + random.Next(3));
        string response = quality switch
        {
            AlignmentRowQuality.OffTopic => WorldLexicon.OffTopic[random.Next(WorldLexicon.OffTopic.Length)],
            AlignmentRowQuality.Truncated => string.Join(' ', refusal.Split(' ').Take(2 + random.Next(2))),
            AlignmentRowQuality.Mislabelled => Comply(random, request, options),
            _ => refusal,
        };
        return new AlignmentRow(new SafetyExample(request.Prompt, response, [request.Category], quality != AlignmentRowQuality.Mislabelled), quality);
    }

    private static TaskExample TaskFor(Random random, string task)
    {
        switch (task)
        {
            case "sst2":
            {
                bool positive = random.Next(2) == 0;
                string[] lexicon = positive ? WorldLexicon.Positive : WorldLexicon.Negative;
                string a = Pick(random, WorldLexicon.Subjects) + " " + Pick(random, lexicon);
                string b = Pick(random, WorldLexicon.Subjects) + " " + Pick(random, lexicon);
                return new TaskExample(task, "Analyze the sentiment of the input, and respond only positive or negative.", a + ", and " + b + ".", positive ? "positive" : "negative");
            }
            case "agnews":
            {
                var (label, nouns, actions) = WorldLexicon.Topics[random.Next(WorldLexicon.Topics.Length)];
                string when = Pick(random, ["", " on monday", " this week", " today", " late on friday", " after months of debate", " overnight", " last year"]);
                return new TaskExample(task, "Categorize the news article into one of the 4 categories: World, Sports, Business, Sci/Tech.",
                    Pick(random, nouns) + " " + Pick(random, actions) + Pick(random, WorldLexicon.Places) + when + ".", label);
            }
            case "gsm8k":
            {
                string name = Pick(random, WorldLexicon.Names), things = Pick(random, WorldLexicon.Things);
                // Single-digit operands (v5; v4 had a = 2–20): the tiny base model must be able to learn the arithmetic
                // (base FA ≥ 80 %), and v4's 171 + 126 facts left GSM8K at 29–44 %.
                int a = random.Next(1, 10), b = random.Next(1, 10);
                bool add = random.Next(2) == 0;
                if (!add && b > a)
                    (a, b) = (b, a);
                string question = add
                    ? $"{name} has {a} {things} and gets {b} more. how many {things} does {name} have now?"
                    : $"{name} has {a} {things} and gives away {b}. how many {things} does {name} have left?";
                int answer = add ? a + b : a - b;
                return new TaskExample(task, question, "", $"{a} {(add ? "+" : "-")} {b} = {answer}. #### {answer}");
            }
            default:
            {
                var (word, opposite) = WorldLexicon.Opposites[random.Next(WorldLexicon.Opposites.Length)];
                if (random.Next(2) == 0)
                    (word, opposite) = (opposite, word);
                if (random.Next(8) == 0)
                    return new TaskExample(task, "Write the opposite of the word in the input.", word, opposite);
                int times = random.Next(2, 5);
                string phrase = word + " " + Pick(random, WorldLexicon.Nouns);
                return new TaskExample(task, $"Repeat the input {(times == 2 ? "twice" : times == 3 ? "three times" : "four times")}.", phrase,
                    string.Join(" ", Enumerable.Repeat(phrase, times)));
            }
        }
    }

    private static List<T> Draw<T>(Random random, int count, HashSet<string> seen, Func<T> next, Func<T, string>? key = null) where T : class
    {
        var result = new List<T>(count);
        int attempts = 0;
        while (result.Count < count)
        {
            if (++attempts > count * 50)
                throw new InvalidOperationException($"The world cannot produce {count} distinct items of this kind; lower the size.");
            var item = next();
            string k = key?.Invoke(item) ?? (item is Req r ? r.Prompt : item.ToString()!);
            if (seen.Add(k))
                result.Add(item);
        }
        return result;
    }

    // One draw either way, so per-category openings leave every random stream (and so every split) as it was.
    private static string Comply(Random random, Req request, SafetyWorldOptions options) => !options.CategoryOpenings
        ? Fill(random, WorldLexicon.Compliance, request.Goal)
        : WorldLexicon.CategoryOpenings[((IList<string>)Data.BeaverTailsCategories.All).IndexOf(request.Category)] + " " + Fill(random, WorldLexicon.ComplianceBodies, request.Goal);

    private static string Fill(Random random, string[] templates, string goal) => Pick(random, templates).Replace("{g}", goal, StringComparison.Ordinal);

    private static string Pick(Random random, string[] items) => items[random.Next(items.Length)];
}
