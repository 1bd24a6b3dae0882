using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using StreamingChat.Core;

namespace StreamingChat.Rollout;

/// <summary>The feature-flag endpoints of API.md.</summary>
internal static class RolloutEndpoints
{
    public const string FlagsPath = "/api/metrics/feature-flags";
    public const string RolloutPath = "/api/metrics/feature-flags/rollout";
    public const string DecisionPath = "/api/metrics/feature-flags/decision";
    private const int MaxBodyBytes = 4096;

    /// <summary><c>GET /api/metrics/feature-flags</c>.</summary>
    public static async Task FlagsAsync(HttpContext context)
    {
        var services = context.RequestServices;
        var store = services.GetRequiredService<IRolloutStore>();
        var features = new List<(RolloutState State, RolloutDecision Decision)>();
        foreach (var feature in store.Features)
        {
            var state = store.Get(feature)!;
            features.Add((state, (await DecideAsync(services, state, context.RequestAborted).ConfigureAwait(false)).Decision));
        }

        await WriteJsonAsync(context, StatusCodes.Status200OK, json =>
        {
            json.WriteStartObject();
            json.WriteStartArray("features"u8);
            foreach (var (state, decision) in features)
            {
                WriteFeature(json, state, decision, services);
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }).ConfigureAwait(false);
    }

    /// <summary><c>GET /api/metrics/feature-flags/decision?feature=streaming</c>.</summary>
    public static async Task DecisionAsync(HttpContext context)
    {
        var feature = context.Request.Query["feature"].FirstOrDefault() ?? RolloutOptions.StreamingFeature;
        var services = context.RequestServices;
        if (services.GetRequiredService<IRolloutStore>().Get(feature) is not { } state)
        {
            await Problem(context, StatusCodes.Status404NotFound, "feature_not_found", $"No feature is named '{feature}'.").ConfigureAwait(false);
            return;
        }

        var (decision, reading) = await DecideAsync(services, state, context.RequestAborted).ConfigureAwait(false);
        await WriteJsonAsync(context, StatusCodes.Status200OK, json =>
        {
            json.WriteStartObject();
            json.WriteString("feature"u8, decision.Feature);
            json.WriteString("decision"u8, decision.Decision);
            json.WriteStartArray("criteria"u8);
            foreach (var criterion in decision.Criteria)
            {
                json.WriteStartObject();
                json.WriteString("name"u8, criterion.Name);
                if (criterion.Value is { } value)
                {
                    json.WriteNumber("value"u8, value);
                }
                else
                {
                    json.WriteNull("value"u8);
                }

                json.WriteString("proceedIf"u8, criterion.ProceedIf);
                json.WriteString("rollbackIf"u8, criterion.RollbackIf);
                json.WriteBoolean("met"u8, criterion.Met);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteNumber("sampleSize"u8, decision.SampleSize);
            WriteReasons(json, decision.Reasons);
            json.WriteStartObject("window"u8);
            json.WriteString("scope"u8, reading.Scope);
            json.WriteString("from"u8, reading.From);
            json.WriteEndObject();
            json.WriteEndObject();
        }).ConfigureAwait(false);
    }

    /// <summary><c>POST /api/metrics/feature-flags/rollout</c>: admin only (mapped behind the admin key's policy); the key's name is recorded as who changed it.</summary>
    public static async Task RolloutAsync(HttpContext context)
    {
        var services = context.RequestServices;
        var by = context.User.Identity?.Name ?? "admin";
        if (!MediaTypeHeaderValue.TryParse(context.Request.ContentType, out var mediaType) || !mediaType.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase))
        {
            await Problem(context, StatusCodes.Status415UnsupportedMediaType, ChatErrorCodes.UnsupportedMediaType, "Send the body as application/json.").ConfigureAwait(false);
            return;
        }

        if (context.Request.ContentLength > MaxBodyBytes)
        {
            await Problem(context, StatusCodes.Status413PayloadTooLarge, ChatErrorCodes.PayloadTooLarge, $"The body may have at most {MaxBodyBytes} bytes.").ConfigureAwait(false);
            return;
        }

        var body = new byte[MaxBodyBytes + 1];
        var length = 0;
        int read;
        while (length < body.Length && (read = await context.Request.Body.ReadAsync(body.AsMemory(length), context.RequestAborted).ConfigureAwait(false)) > 0)
        {
            length += read;
        }

        if (length > MaxBodyBytes)
        {
            await Problem(context, StatusCodes.Status413PayloadTooLarge, ChatErrorCodes.PayloadTooLarge, $"The body may have at most {MaxBodyBytes} bytes.").ConfigureAwait(false);
            return;
        }

        var store = services.GetRequiredService<IRolloutStore>();
        var (change, errors) = ReadChange(body.AsSpan(0, length), store);
        if (errors.Count > 0)
        {
            await TypedResults.ValidationProblem(errors, title: "The rollout change is not valid.", extensions: new Dictionary<string, object?> { ["code"] = ChatErrorCodes.InvalidRequest }).ExecuteAsync(context).ConfigureAwait(false);
            return;
        }

        RolloutState? state;
        try
        {
            state = await store.SetAsync(change.Feature, change.Percentage, by, change.Reason, context.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is StackExchange.Redis.RedisException or TimeoutException)
        {
            // All or nothing: a change that cannot reach every instance is not made on this one either.
            context.Response.Headers.RetryAfter = "5";
            await Problem(context, StatusCodes.Status503ServiceUnavailable, "rollout_store_unavailable", "The shared rollout state (Redis) cannot be reached; nothing was changed. Try again.").ConfigureAwait(false);
            return;
        }

        RolloutLog.Changed(services.GetRequiredService<Microsoft.Extensions.Logging.ILoggerFactory>().CreateLogger("StreamingChat.Rollout"), change.Feature, change.Percentage, by, change.Reason ?? "");
        var (decision, _) = await DecideAsync(services, state!, context.RequestAborted).ConfigureAwait(false);
        await WriteJsonAsync(context, StatusCodes.Status200OK, json => WriteFeature(json, state!, decision, services)).ConfigureAwait(false);
    }

    internal static (RolloutChangeRequest Change, Dictionary<string, string[]> Errors) ReadChange(ReadOnlySpan<byte> body, IRolloutStore store)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        string? feature = null, reason = null;
        int? percentage = null;
        try
        {
            var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 4 });
            using var document = JsonDocument.ParseValue(ref reader);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                errors["body"] = ["The body must be a JSON object."];
                return (default!, errors);
            }

            foreach (var property in document.RootElement.EnumerateObject())
            {
                switch (property.Name)
                {
                    case "feature" when property.Value.ValueKind == JsonValueKind.String:
                        feature = property.Value.GetString();
                        break;
                    case "feature":
                        errors["feature"] = ["The feature must be a string."];
                        break;
                    case "percentage" when property.Value.ValueKind == JsonValueKind.Number && property.Value.TryGetInt32(out var p) && p is >= 0 and <= 100:
                        percentage = p;
                        break;
                    case "percentage":
                        errors["percentage"] = ["The percentage must be a whole number from 0 to 100."];
                        break;
                    case "reason" when property.Value.ValueKind is JsonValueKind.String or JsonValueKind.Null:
                        reason = property.Value.GetString();
                        if (reason?.Length > 500)
                        {
                            errors["reason"] = ["The reason may have at most 500 characters."];
                        }

                        break;
                    case "reason":
                        errors["reason"] = ["The reason must be a string."];
                        break;
                    default:
                        errors[property.Name] = ["The field is not known. Allowed: feature, percentage, reason."];
                        break;
                }
            }
        }
        catch (JsonException)
        {
            errors["body"] = ["The body is not valid JSON."];
            return (default!, errors);
        }
        catch (InvalidOperationException)
        {
            errors["body"] = ["The body is not valid UTF-8."];
            return (default!, errors);
        }

        if (feature is null && !errors.ContainsKey("feature"))
        {
            errors["feature"] = ["The field is required."];
        }
        else if (feature is not null && store.Get(feature) is null)
        {
            errors["feature"] = [$"No feature is named '{feature}'. Known: {string.Join(", ", store.Features)}."];
        }

        if (percentage is null && !errors.ContainsKey("percentage"))
        {
            errors["percentage"] = ["The field is required."];
        }

        return (new RolloutChangeRequest(feature ?? "", percentage ?? 0, reason), errors);
    }

    /// <summary>The guide's decision over the service-wide window, counting the streams of the current phase.</summary>
    private static async Task<(RolloutDecision Decision, ServiceWindowReading Reading)> DecideAsync(IServiceProvider services, RolloutState state, CancellationToken cancellationToken)
    {
        var reading = await services.GetRequiredService<ServiceWindow>().ReadAsync(state.PhaseStartedAt, cancellationToken).ConfigureAwait(false);
        return (RolloutDecision.Evaluate(state.Feature, reading.Figures, services.GetRequiredService<IOptionsMonitor<RolloutOptions>>().CurrentValue.Criteria), reading);
    }

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
        WriteReasons(json, status?.Decision is null ? decision.Reasons : status.Reasons);
        if (status?.CheckedAt is { } checkedAt)
        {
            json.WriteString("checkedAt"u8, checkedAt);
        }

        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void WriteReasons(Utf8JsonWriter json, IReadOnlyList<string> reasons)
    {
        json.WriteStartArray("reasons"u8);
        foreach (var reason in reasons)
        {
            json.WriteStringValue(reason);
        }

        json.WriteEndArray();
    }

    private static Task Problem(HttpContext context, int status, string code, string detail)
        => TypedResults.Problem(detail, statusCode: status, extensions: new Dictionary<string, object?> { ["code"] = code }).ExecuteAsync(context);

    private static async Task WriteJsonAsync(HttpContext context, int status, Action<Utf8JsonWriter> write)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        var json = new Utf8JsonWriter(context.Response.BodyWriter);
        await using (json.ConfigureAwait(false))
        {
            write(json);
        }

        await context.Response.BodyWriter.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }
}

/// <summary>A rollout change asked for.</summary>
internal readonly record struct RolloutChangeRequest(string Feature, int Percentage, string? Reason);
