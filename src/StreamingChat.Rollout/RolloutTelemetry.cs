namespace StreamingChat.Rollout;

/// <summary>The rollout's telemetry names, in one place: its instruments are on StreamingChat's meter (<c>StreamingChat</c>).</summary>
public static class RolloutTelemetry
{
    /// <summary>Instrument names.</summary>
    public static class Instruments
    {
        /// <summary>Counter of rollout decisions, by feature and result, <c>{decision}</c>.</summary>
        public const string Decisions = "streamingchat.rollout.decisions";

        /// <summary>Counter of the rollout guard setting a feature to 0 %, <c>{trip}</c>.</summary>
        public const string GuardTrips = "streamingchat.rollout.guard.trips";

        /// <summary>Counter of the changes a rollout schedule made or had made to it, by feature and action, <c>{change}</c>.</summary>
        public const string ScheduleChanges = "streamingchat.rollout.schedule.changes";
    }

    /// <summary>Tag names.</summary>
    public static class Tags
    {
        /// <summary>A rollout feature's name.</summary>
        public const string Feature = "streamingchat.feature";

        /// <summary>Whether a rollout decision turned the feature on.</summary>
        public const string FeatureEnabled = "streamingchat.feature.enabled";

        /// <summary>What a rollout schedule did: <c>started</c>, <c>advanced</c>, <c>completed</c>, <c>rolled_back</c>, <c>paused</c>, <c>resumed</c>, <c>aborted</c>, <c>promoted</c>.</summary>
        public const string ScheduleAction = "streamingchat.schedule.action";
    }
}
