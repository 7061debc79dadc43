using System.Text.Json.Nodes;
using SafeAlign.Testing;
using SafeAlign.Tokenization;

namespace SafeAlign.Tests.Chat;

/// <summary>The chat tests' tiny world (seed 3): its tokenizer has no chat template, so clients use the Alpaca format.</summary>
internal static class ChatFixture
{
    private static readonly Lazy<TinySafetyWorld> LazyTiny = new(() => TinySafetyWorld.Create(seed: 3));

    public static TinySafetyWorld Tiny => LazyTiny.Value;

    /// <summary>The same tokenizer with a ChatML <c>chat_template</c> in its config, so the client renders ChatML.</summary>
    public static HfTokenizer ChatMlTokenizer()
    {
        var config = JsonNode.Parse(Tiny.TokenizerFiles.TokenizerConfigJson)!.AsObject();
        config["chat_template"] = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
        return HfTokenizer.FromJson(Tiny.TokenizerFiles.TokenizerJson, TokenizerConfig.Parse(config.ToJsonString()));
    }
}
