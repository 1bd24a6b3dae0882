using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using StreamingChat.Core;

namespace StreamingChat.Rollout;

/// <summary>The feature-flag endpoints' JSON: a feature's state with its guard and schedule, the cohorts, the reasons.</summary>
internal static partial class RolloutEndpoints
{
    private static void WriteFeature(Utf8JsonWriter json, RolloutState state, RolloutDecision decision, IServiceProvider services)
    {
        json.WriteStartObject();
        json.WriteString("feature"u8, state.Feature);
        json.WriteNumber("percentage"u8, state.Percentage);
        json.WriteNumber("version"u8, state.Version);
        json.WriteString("updatedAt"u8, state.UpdatedAt);
        json.WriteString("updatedBy"u8, state.UpdatedBy);
        json.WriteString("reason"u8, state.Reason);
        json.WriteStartArray("history"u8);
        foreach (var change in state.History)
        {
            json.WriteStartObject();
            json.WriteNumber("percentage"u8, change.Percentage);
            json.WriteString("at"u8, change.At);
            json.WriteString("by"u8, change.By);
            json.WriteString("reason"u8, change.Reason);
            json.WriteEndObject();
        }

        json.WriteEndArray();

        // The guard as it last saw the feature; off (or not yet run), it shows the decision it would act on.
        var guard = services.GetRequiredService<RolloutGuard>();
        var watching = guard.Watches(state.Feature);
        var status = watching ? guard.StatusOf(state.Feature) : null;
        json.WriteStartObject("guard"u8);
        json.WriteBoolean("enabled"u8, watching);
        json.WriteString("state"u8, status?.State ?? (watching ? GuardStatus.Watching : GuardStatus.Off));
        json.WriteString("decision"u8, status?.Decision ?? decision.Decision);
        RolloutScheduleJson.WriteReasons(json, status?.Decision is null ? decision.Reasons : status.Reasons);
        if (status?.CheckedAt is { } checkedAt)
        {
            json.WriteString("checkedAt"u8, checkedAt);
        }

        json.WriteEndObject();
        WriteSchedule(json, state.Schedule);
        json.WriteEndObject();
    }

    private static void WriteCohort(Utf8JsonWriter json, ReadOnlySpan<byte> name, WindowFigures? figures)
    {
        if (figures is null)
        {
            json.WriteNull(name);
            return;
        }

        json.WriteStartObject(name);
        json.WriteNumber("requests"u8, figures.Requests);
        json.WriteNumber("errorRate"u8, Math.Round(figures.ErrorRate, 4));
        json.WriteNumber("successRate"u8, Math.Round(figures.SuccessRate, 4));
        if (figures.AverageFirstTokenMs is { } avg)
        {
            json.WriteNumber("avgFirstTokenMs"u8, Math.Round(avg, 1));
        }
        else
        {
            json.WriteNull("avgFirstTokenMs"u8);
        }

        json.WriteEndObject();
    }

    private static void WriteSchedule(Utf8JsonWriter json, RolloutSchedule? schedule)
    {
        json.WritePropertyName("schedule"u8);
        if (schedule is null)
        {
            json.WriteNullValue();
        }
        else
        {
            RolloutScheduleJson.WriteObject(json, schedule);
        }
    }

    /// <summary>An optional reason of at most 500 characters.</summary>
    internal static string? ReadReason(JsonElement value, Dictionary<string, string[]> errors)
    {
        if (value.ValueKind is not (JsonValueKind.String or JsonValueKind.Null))
        {
            errors["reason"] = ["The reason must be a string."];
            return null;
        }

        var reason = value.GetString();
        if (reason?.Length > 500)
        {
            errors["reason"] = ["The reason may have at most 500 characters."];
        }

        return reason;
    }
}
