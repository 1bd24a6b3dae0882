using System.Text.Json;

namespace StreamingChat.Rollout;

/// <summary>A schedule as JSON: in the API's answers, and beside a feature's state in Redis (a string, empty for none).</summary>
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
            WriteObject(json, schedule);
        }

        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>Writes the schedule as one JSON object: the shape of API.md's <c>schedule</c>, and of what Redis keeps.</summary>
    public static void WriteObject(Utf8JsonWriter json, RolloutSchedule schedule)
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
        json.WriteNumber("percentage"u8, schedule.Percentage);
        json.WriteNumber("soakSeconds"u8, schedule.SoakSeconds);
        json.WriteNumber("minSamples"u8, schedule.MinSamples);
        json.WriteString("stepStartedAt"u8, schedule.StepStartedAt);
        if (schedule.ProceedSince is { } since)
        {
            json.WriteString("proceedSince"u8, since);
        }
        else
        {
            json.WriteNull("proceedSince"u8);
        }

        json.WriteString("decision"u8, schedule.Decision);
        WriteReasons(json, schedule.Reasons);
        json.WriteString("reason"u8, schedule.Reason);
        json.WriteEndObject();
    }

    /// <summary>Writes a <c>reasons</c> array: of a schedule, a decision or the guard.</summary>
    public static void WriteReasons(Utf8JsonWriter json, IReadOnlyList<string> reasons)
    {
        json.WriteStartArray("reasons"u8);
        foreach (var reason in reasons)
        {
            json.WriteStringValue(reason);
        }

        json.WriteEndArray();
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
            root.GetProperty("stepStartedAt").GetDateTimeOffset(),
            root.TryGetProperty("proceedSince", out var since) && since.ValueKind == JsonValueKind.String ? since.GetDateTimeOffset() : null,
            root.TryGetProperty("decision", out var decision) ? decision.GetString() : null,
            [.. root.GetProperty("reasons").EnumerateArray().Select(r => r.GetString()!)],
            root.TryGetProperty("reason", out var reason) ? reason.GetString() : null);
    }
}
