using Microsoft.Extensions.Logging;

namespace StreamingChat.Rollout;

/// <summary>Rollout's log messages: event ids 3000–3999.</summary>
internal static partial class RolloutLog
{
    [LoggerMessage(3001, LogLevel.Warning, "Rollout of {Feature} set to {Percentage} % by {UpdatedBy}. {Reason}")]
    public static partial void Changed(ILogger logger, string feature, int percentage, string updatedBy, string reason);

    [LoggerMessage(3002, LogLevel.Warning, "The service-wide window could not be read from Redis; this instance's own window answers.")]
    public static partial void WindowUnavailable(ILogger logger, Exception exception);

    [LoggerMessage(3003, LogLevel.Warning, "The rollout state of {Feature} could not be read from Redis; the last known state ({Percentage} %, version {Version}) stands.")]
    public static partial void StateUnavailable(ILogger logger, string feature, int percentage, long version, Exception exception);

    [LoggerMessage(3004, LogLevel.Information, "Rollout of {Feature} is now {Percentage} % (version {Version}, set by {UpdatedBy}).")]
    public static partial void StateRefreshed(ILogger logger, string feature, int percentage, long version, string updatedBy);

    [LoggerMessage(3010, LogLevel.Critical, "Rollout guard rolled {Feature} back from {Percentage} % to 0 %: {Reasons}.")]
    public static partial void GuardRolledBack(ILogger logger, string feature, int percentage, string reasons);

    [LoggerMessage(3020, LogLevel.Warning, "Rollout schedule of {Feature} {Action}: {Percentage} %, schedule {ScheduleState} (by {By}).")]
    public static partial void ScheduleChanged(ILogger logger, string feature, string action, int percentage, string scheduleState, string by);

    [LoggerMessage(3021, LogLevel.Information, "Rollout guard of {Feature} wrote nothing: the state changed (version {Version}) after it was evaluated.")]
    public static partial void GuardOutdated(ILogger logger, string feature, long version);

    [LoggerMessage(3011, LogLevel.Error, "Rollout guard could not evaluate {Feature}.")]
    public static partial void GuardFailed(ILogger logger, string feature, Exception exception);
}
