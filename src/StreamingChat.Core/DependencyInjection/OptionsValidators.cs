using Microsoft.Extensions.Options;

namespace StreamingChat.Core;

// The options' data annotations checked by validators the Options source generator writes at build time: no reflection
// at start-up, and trimming-safe. Each is registered beside its options and runs on start (ValidateOnStart).

/// <summary>Checks <see cref="ChatStreamOptions"/>'s data annotations (source-generated).</summary>
[OptionsValidator]
internal sealed partial class ChatStreamOptionsValidator : IValidateOptions<ChatStreamOptions>
{
}

/// <summary>Checks <see cref="OfflineModelOptions"/>'s data annotations (source-generated).</summary>
[OptionsValidator]
internal sealed partial class OfflineModelOptionsValidator : IValidateOptions<OfflineModelOptions>
{
}

/// <summary>Checks <see cref="OutboxOptions"/>'s data annotations (source-generated).</summary>
[OptionsValidator]
internal sealed partial class OutboxOptionsValidator : IValidateOptions<OutboxOptions>
{
}

/// <summary>Checks <see cref="AnswerOptions"/>'s data annotations (source-generated).</summary>
[OptionsValidator]
internal sealed partial class AnswerOptionsValidator : IValidateOptions<AnswerOptions>
{
}

/// <summary>Checks <see cref="MetricsOptions"/>'s data annotations (source-generated).</summary>
[OptionsValidator]
internal sealed partial class MetricsOptionsValidator : IValidateOptions<MetricsOptions>
{
}

/// <summary>Checks <see cref="ChatbotCacheOptions"/>'s data annotations (source-generated).</summary>
[OptionsValidator]
internal sealed partial class ChatbotCacheOptionsValidator : IValidateOptions<ChatbotCacheOptions>
{
}

/// <summary>Checks <see cref="SpeechOptions"/>'s data annotations (source-generated).</summary>
[OptionsValidator]
internal sealed partial class SpeechOptionsValidator : IValidateOptions<SpeechOptions>
{
}

/// <summary>Checks <see cref="EmbeddedSpeechOptions"/>'s data annotations (source-generated).</summary>
[OptionsValidator]
internal sealed partial class EmbeddedSpeechOptionsValidator : IValidateOptions<EmbeddedSpeechOptions>
{
}

/// <summary>Checks <see cref="RedisOptions"/>'s data annotations (source-generated).</summary>
[OptionsValidator]
internal sealed partial class RedisOptionsValidator : IValidateOptions<RedisOptions>
{
}
