using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using StreamingChat.AspNetCore;
using StreamingChat.Core;

namespace StreamingChat.Rollout;

/// <summary>The feature-flag endpoints of API.md.</summary>
internal static partial class RolloutEndpoints
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

        await StreamingChatResults.Json(json =>
        {
            json.WriteStartObject();
            json.WriteStartArray("features"u8);
            foreach (var (state, decision) in features)
            {
                WriteFeature(json, state, decision, services);
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }).ExecuteAsync(context).ConfigureAwait(false);
    }

    /// <summary><c>GET /api/metrics/feature-flags/decision?feature=streaming</c>.</summary>
    public static async Task DecisionAsync(HttpContext context)
    {
        var feature = context.Request.Query["feature"].FirstOrDefault() ?? RolloutOptions.StreamingFeature;
        var services = context.RequestServices;
        if (services.GetRequiredService<IRolloutStore>().Get(feature) is not { } state)
        {
            await StreamingChatResults.Problem(StatusCodes.Status404NotFound, "feature_not_found", "The feature was not found.", $"No feature is named '{feature}'.").ExecuteAsync(context).ConfigureAwait(false);
            return;
        }

        var (decision, reading) = await DecideAsync(services, state, context.RequestAborted).ConfigureAwait(false);
        await StreamingChatResults.Json(json =>
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
            json.WriteString("rule"u8, decision.Rule);
            RolloutScheduleJson.WriteReasons(json, decision.Reasons);
            json.WriteStartObject("cohorts"u8);
            WriteCohort(json, "streaming"u8, decision.Streaming ?? reading.Figures);
            WriteCohort(json, "nonStreaming"u8, decision.Other ?? reading.Other);
            json.WriteEndObject();
            json.WriteStartObject("window"u8);
            json.WriteString("scope"u8, reading.Scope);
            json.WriteString("from"u8, reading.From);
            json.WriteEndObject();
            json.WriteEndObject();
        }).ExecuteAsync(context).ConfigureAwait(false);
    }

    /// <summary>
    /// <c>POST /api/metrics/feature-flags/rollout</c>: admin only (mapped behind the admin key's policy); the key's name is
    /// recorded as who changed it. Refused with <c>409 schedule_active</c> while a schedule steers the feature.
    /// </summary>
    public static async Task RolloutAsync(HttpContext context)
    {
        var services = context.RequestServices;
        var by = context.User.Identity?.Name ?? "admin";
        var (root, problem) = await StreamingChatRequests.ReadJsonObjectAsync(context.Request, MaxBodyBytes, optional: false, context.RequestAborted).ConfigureAwait(false);
        if (problem is not null)
        {
            await problem.ExecuteAsync(context).ConfigureAwait(false);
            return;
        }

        var store = services.GetRequiredService<IRolloutStore>();
        var (change, errors) = ReadChange(root!.Value, store);
        if (errors.Count > 0)
        {
            await StreamingChatResults.ValidationProblem(errors).ExecuteAsync(context).ConfigureAwait(false);
            return;
        }

        RolloutState? state = null;
        try
        {
            for (var attempt = 0; state is null && attempt < 5; attempt++)
            {
                var current = store.Get(change.Feature)!;
                if (current.Schedule is { IsActive: true })
                {
                    await ScheduleEndpoints.ScheduleActive(change.Feature).ExecuteAsync(context).ConfigureAwait(false);
                    return;
                }

                state = await store.TryWriteAsync(change.Feature, current.Version, new RolloutWrite(change.Percentage, by, change.Reason, current.Schedule), context.RequestAborted).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is StackExchange.Redis.RedisException or TimeoutException)
        {
            // All or nothing: a change that cannot reach every instance is not made on this one either.
            await StoreUnavailable(context).ExecuteAsync(context).ConfigureAwait(false);
            return;
        }

        if (state is null)
        {
            await StreamingChatResults.Problem(StatusCodes.Status409Conflict, "rollout_conflict", "The rollout kept changing.", "Other writers changed the feature while this change was made; try again.").ExecuteAsync(context).ConfigureAwait(false);
            return;
        }

        RolloutLog.Changed(services.GetRequiredService<Microsoft.Extensions.Logging.ILoggerFactory>().CreateLogger("StreamingChat.Rollout"), change.Feature, change.Percentage, by, change.Reason ?? "");
        await WriteStateAsync(context, state).ConfigureAwait(false);
    }

    /// <summary>The shared state could not be written: nothing changed (503 with <c>Retry-After</c>).</summary>
    internal static IResult StoreUnavailable(HttpContext context)
    {
        context.Response.Headers.RetryAfter = "5";
        return StreamingChatResults.Problem(StatusCodes.Status503ServiceUnavailable, "rollout_store_unavailable", "The rollout state cannot be changed now.", "The shared rollout state (Redis) cannot be reached; nothing was changed. Try again.");
    }

    /// <summary>Answers a feature's state (as in the GET) with its decision.</summary>
    internal static async Task WriteStateAsync(HttpContext context, RolloutState state)
    {
        var (decision, _) = await DecideAsync(context.RequestServices, state, context.RequestAborted).ConfigureAwait(false);
        await StreamingChatResults.Json(json => WriteFeature(json, state, decision, context.RequestServices)).ExecuteAsync(context).ConfigureAwait(false);
    }

    internal static (RolloutChangeRequest Change, Dictionary<string, string[]> Errors) ReadChange(JsonElement root, IRolloutStore store)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        string? feature = null, reason = null;
        int? percentage = null;
        foreach (var property in root.EnumerateObject())
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
                case "reason":
                    reason = ReadReason(property.Value, errors);
                    break;
                default:
                    errors[property.Name] = ["The field is not known. Allowed: feature, percentage, reason."];
                    break;
            }
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
        return (RolloutDecision.Evaluate(state.Feature, reading.Figures, reading.Other, services.GetRequiredService<IOptionsMonitor<RolloutOptions>>().CurrentValue.Criteria), reading);
    }
}

/// <summary>A rollout change asked for.</summary>
internal readonly record struct RolloutChangeRequest(string Feature, int Percentage, string? Reason);
