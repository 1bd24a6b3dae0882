using Microsoft.Extensions.Options;

namespace StreamingChat.AspNetCore;

// The options' data annotations checked by validators the Options source generator writes at build time: no reflection
// at start-up, and trimming-safe. Each is registered beside its options and runs on start (ValidateOnStart).

/// <summary>Checks <see cref="DrainOptions"/>'s data annotations (source-generated).</summary>
[OptionsValidator]
internal sealed partial class DrainOptionsValidator : IValidateOptions<DrainOptions>
{
}

/// <summary>Checks <see cref="RateLimitingOptions"/>'s data annotations (source-generated).</summary>
[OptionsValidator]
internal sealed partial class RateLimitingOptionsValidator : IValidateOptions<RateLimitingOptions>
{
}

/// <summary>Checks <see cref="HealthOptions"/>'s data annotations (source-generated).</summary>
[OptionsValidator]
internal sealed partial class HealthOptionsValidator : IValidateOptions<HealthOptions>
{
}

/// <summary>Checks <see cref="SessionsOptions"/>'s data annotations (source-generated).</summary>
[OptionsValidator]
internal sealed partial class SessionsOptionsValidator : IValidateOptions<SessionsOptions>
{
}

/// <summary>Checks <see cref="EventStreamOptions"/>'s data annotations (source-generated).</summary>
[OptionsValidator]
internal sealed partial class EventStreamOptionsValidator : IValidateOptions<EventStreamOptions>
{
}
