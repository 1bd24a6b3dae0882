using Microsoft.Extensions.Options;

namespace StreamingChat.Rollout;

// The options' data annotations checked by validators the Options source generator writes at build time: no reflection
// at start-up, and trimming-safe. Each is registered beside its options and runs on start (ValidateOnStart).

/// <summary>Checks <see cref="RolloutOptions"/>'s data annotations (source-generated).</summary>
[OptionsValidator]
internal sealed partial class RolloutOptionsAnnotationsValidator : IValidateOptions<RolloutOptions>
{
}
