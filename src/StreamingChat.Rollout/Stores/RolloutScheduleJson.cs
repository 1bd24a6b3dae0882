using System.Text.Json;

namespace StreamingChat.Rollout;

/// <summary>A schedule as it is kept beside a feature's state in Redis: a JSON string, empty for none.</summary>
internal static class RolloutScheduleJson
{
    public static string Write(RolloutSchedule? schedule)
    {
        if (schedule is null)
        {
            return "";
        }

        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("state"u8, schedule.State);
            json.WriteStartArray("steps"u8);
            foreach (var step in schedule.Steps)
            {
                json.WriteNumberValue(step);
            }

            json.WriteEndArray();
            json.WriteNumber("stepIndex"u8, schedule.StepIndex);
            json.WriteNumber("soakSeconds"u8, schedule.SoakSeconds);
            json.WriteNumber("minSamples"u8, schedule.MinSamples);
            json.WriteNumber("stepStartedAt"u8, schedule.StepStartedAt.ToUnixTimeMilliseconds());
            if (schedule.ProceedSince is { } since)
            {
                json.WriteNumber("proceedSince"u8, since.ToUnixTimeMilliseconds());
            }

            if (schedule.Decision is not null)
            {
                json.WriteString("decision"u8, schedule.Decision);
            }

            json.WriteStartArray("reasons"u8);
            foreach (var reason in schedule.Reasons)
            {
                json.WriteStringValue(reason);
            }

            json.WriteEndArray();
            if (schedule.Reason is not null)
            {
                json.WriteString("reason"u8, schedule.Reason);
            }

            json.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    public static RolloutSchedule? Read(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        using var document = JsonDocument.Parse(text);
        var root = document.RootElement;
        return new RolloutSchedule(
            root.GetProperty("state").GetString()!,
            [.. root.GetProperty("steps").EnumerateArray().Select(s => s.GetInt32())],
            root.GetProperty("stepIndex").GetInt32(),
            root.GetProperty("soakSeconds").GetInt32(),
            root.GetProperty("minSamples").GetInt32(),
            DateTimeOffset.FromUnixTimeMilliseconds(root.GetProperty("stepStartedAt").GetInt64()),
            root.TryGetProperty("proceedSince", out var since) ? DateTimeOffset.FromUnixTimeMilliseconds(since.GetInt64()) : null,
            root.TryGetProperty("decision", out var decision) ? decision.GetString() : null,
            [.. root.GetProperty("reasons").EnumerateArray().Select(r => r.GetString()!)],
            root.TryGetProperty("reason", out var reason) ? reason.GetString() : null);
    }
}
