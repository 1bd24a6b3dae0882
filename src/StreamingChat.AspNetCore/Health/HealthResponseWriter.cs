using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using StreamingChat.Core;

namespace StreamingChat.AspNetCore;

/// <summary>Writes a health report in API.md's shape: overall status, instance, duration, and each check.</summary>
internal static class HealthResponseWriter
{
    public static Task WriteAsync(HttpContext context, HealthReport report)
    {
        var instance = context.RequestServices.GetRequiredService<StreamingChatInstance>();

        // With the operator reads protected, health stays open to probes and the guide's cron line, but shows each
        // check's data (error rates, latencies, stream counts) only to a caller holding an admin key.
        var showData = !context.RequestServices.GetRequiredService<IOptionsMonitor<AdminOptions>>().CurrentValue.ProtectReads
            || context.RequestServices.GetRequiredService<AdminKeyVerifier>().Verify(AdminKeyAuthenticationHandler.PresentedKey(context.Request)).Result == AdminKeyResult.Accepted;
        return ChatJson.WriteResponseAsync(context, json =>
        {
            json.WriteStartObject();
            json.WriteString("status"u8, StatusName(report.Status));
            json.WriteString("instanceId"u8, instance.InstanceId);
            json.WriteNumber("totalDurationMs"u8, Math.Round(report.TotalDuration.TotalMilliseconds, 1));
            json.WriteStartObject("checks"u8);
            foreach (var (name, entry) in report.Entries)
            {
                json.WriteStartObject(name);
                json.WriteString("status"u8, StatusName(entry.Status));
                if (showData && entry.Description is { } description)
                {
                    json.WriteString("description"u8, description);
                }

                if (showData && entry.Data.Count > 0)
                {
                    json.WriteStartObject("data"u8);
                    foreach (var (key, value) in entry.Data)
                    {
                        json.WritePropertyName(key);
                        JsonSerializer.Serialize(json, value, value?.GetType() ?? typeof(object));
                    }

                    json.WriteEndObject();
                }

                json.WriteEndObject();
            }

            json.WriteEndObject();
            json.WriteEndObject();
        });
    }

    public static string StatusName(HealthStatus status) => status switch
    {
        HealthStatus.Healthy => "healthy",
        HealthStatus.Degraded => "degraded",
        _ => "unhealthy",
    };
}
