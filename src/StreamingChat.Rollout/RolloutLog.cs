using Microsoft.Extensions.Logging;

namespace StreamingChat.Rollout;

/// <summary>Rollout's log messages: event ids 3000–3999.</summary>
internal static partial class RolloutLog
{
    [LoggerMessage(3001, LogLevel.Warning, "Rollout of {Feature} set to {Percentage} % by {UpdatedBy}. {Reason}")]
    public static partial void Changed(ILogger logger, string feature, int percentage, string updatedBy, string reason);
}
