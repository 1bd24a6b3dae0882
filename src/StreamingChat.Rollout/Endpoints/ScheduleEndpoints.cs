using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using StreamingChat.AspNetCore;

namespace StreamingChat.Rollout;

/// <summary>The progressive rollout schedule's endpoints of API.md: start, pause, resume, abort, promote (admin key).</summary>
internal static class ScheduleEndpoints
{
    public const string SchedulePath = "/api/metrics/feature-flags/schedule";
    private const int MaxBodyBytes = 4096;
    private const int MaxSteps = 20;

    /// <summary><c>409 schedule_active</c>: a schedule steers the feature, so manual changes wait until it ends.</summary>
    public static IResult ScheduleActive(string feature) => StreamingChatResults.Problem(StatusCodes.Status409Conflict, "schedule_active", "A schedule is active.",
        $"A rollout schedule steers '{feature}'; pause and abort it (POST {SchedulePath}/abort) before changing the percentage by hand.");

    /// <summary><c>POST /api/metrics/feature-flags/schedule</c>: starts a schedule at its first step.</summary>
    public static async Task<IResult> StartAsync(HttpContext context, RolloutScheduler scheduler, IRolloutStore store, IOptionsMonitor<RolloutOptions> options)
    {
        // Over 60 lines: reads the schedule's body field by field, collecting every error, then starts it.
        var (root, problem) = await StreamingChatRequests.ReadJsonObjectAsync(context.Request, MaxBodyBytes, optional: false, context.RequestAborted).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        var window = options.CurrentValue.Guard.WindowSeconds;
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        string? feature = null, reason = null;
        List<int>? steps = null;
        int? soak = null, minSamples = null;
        foreach (var property in root!.Value.EnumerateObject())
        {
            var value = property.Value;
            switch (property.Name)
            {
                case "feature":
                    feature = value.ValueKind == JsonValueKind.String ? value.GetString() : null;
                    break;
                case "steps":
                    steps = ReadSteps(value, errors);
                    break;
                case "soakSeconds" when value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var s) && s >= window && s <= 604_800:
                    soak = s;
                    break;
                case "soakSeconds":
                    errors["soakSeconds"] = [$"The soak must be a whole number of seconds from the decision window ({window}) to 604800."];
                    break;
                case "minSamples" when value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var m) && m is >= 1 and <= 100_000_000:
                    minSamples = m;
                    break;
                case "minSamples":
                    errors["minSamples"] = ["The minimum sample must be a whole number of at least 1."];
                    break;
                case "reason":
                    reason = RolloutEndpoints.ReadReason(value, errors);
                    break;
                default:
                    errors[property.Name] = ["The field is not known. Allowed: feature, steps, soakSeconds, minSamples, reason."];
                    break;
            }
        }

        feature = CheckFeature(feature, store, errors);
        if (steps is null && !errors.ContainsKey("steps"))
        {
            errors["steps"] = ["The field is required."];
        }

        if (soak is null && !errors.ContainsKey("soakSeconds"))
        {
            errors["soakSeconds"] = ["The field is required."];
        }

        if (errors.Count > 0)
        {
            return StreamingChatResults.ValidationProblem(errors);
        }

        return await RunAsync(context, () => ScheduleActive(feature!), () => scheduler.StartAsync(feature!, steps!, soak!.Value, minSamples ?? options.CurrentValue.Criteria.MinSampleSize, By(context), reason, context.RequestAborted)).ConfigureAwait(false);
    }

    /// <summary><c>POST …/schedule/pause|resume|abort|promote</c> with an optional <c>{"feature"}</c> (abort: <c>"keepPercentage"</c>, default true).</summary>
    public static Func<HttpContext, RolloutScheduler, IRolloutStore, Task<IResult>> Command(ScheduleCommand command) => async (context, scheduler, store) =>
    {
        var (root, problem) = await StreamingChatRequests.ReadJsonObjectAsync(context.Request, MaxBodyBytes, optional: true, context.RequestAborted).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        string? feature = RolloutOptions.StreamingFeature;
        var keep = true;
        foreach (var property in root?.EnumerateObject() ?? default)
        {
            switch (property.Name)
            {
                case "feature":
                    feature = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString() : null;
                    break;
                case "keepPercentage" when command == ScheduleCommand.Abort && property.Value.ValueKind is JsonValueKind.True or JsonValueKind.False:
                    keep = property.Value.GetBoolean();
                    break;
                default:
                    errors[property.Name] = [command == ScheduleCommand.Abort ? "The field is not known. Allowed: feature, keepPercentage (true or false)." : "The field is not known. Allowed: feature."];
                    break;
            }
        }

        feature = CheckFeature(feature, store, errors);
        return errors.Count > 0
            ? StreamingChatResults.ValidationProblem(errors)
            : await RunAsync(context, () => NotActive(feature!, command), () => scheduler.CommandAsync(feature!, command, By(context), keep, context.RequestAborted)).ConfigureAwait(false);
    };

    private static IResult NotActive(string feature, ScheduleCommand command) => StreamingChatResults.Problem(StatusCodes.Status409Conflict, "schedule_not_active", "No schedule can take that.",
        $"'{feature}' has no {(command == ScheduleCommand.Resume ? "paused" : command == ScheduleCommand.Pause ? "running" : "running or paused")} schedule.");

    private static async Task<IResult> RunAsync(HttpContext context, Func<IResult> conflict, Func<Task<(RolloutState? State, ScheduleRefusal Refusal)>> change)
    {
        (RolloutState? State, ScheduleRefusal Refusal) result;
        try
        {
            result = await change().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is StackExchange.Redis.RedisException or TimeoutException)
        {
            return RolloutEndpoints.StoreUnavailable(context);
        }

        return result.Refusal == ScheduleRefusal.None ? new StateWritten(result.State!) : conflict();
    }

    private static List<int>? ReadSteps(JsonElement value, Dictionary<string, string[]> errors)
    {
        var steps = new List<int>();
        if (value.ValueKind == JsonValueKind.Array)
        {
            foreach (var step in value.EnumerateArray())
            {
                if (step.ValueKind != JsonValueKind.Number || !step.TryGetInt32(out var percentage) || percentage is < 1 or > 100 || (steps.Count > 0 && percentage <= steps[^1]))
                {
                    steps.Clear();
                    break;
                }

                steps.Add(percentage);
            }
        }

        if (steps.Count is 0 or > MaxSteps)
        {
            errors["steps"] = [$"The steps must be 1 to {MaxSteps} whole percentages that rise strictly within 1–100, e.g. [1, 5, 10, 25, 50, 75, 90, 100]."];
            return null;
        }

        return steps;
    }

    private static string? CheckFeature(string? feature, IRolloutStore store, Dictionary<string, string[]> errors)
    {
        if (feature is null)
        {
            errors["feature"] = ["The feature must be a string."];
        }
        else if (store.Get(feature) is null)
        {
            errors["feature"] = [$"No feature is named '{feature}'. Known: {string.Join(", ", store.Features)}."];
        }

        return feature;
    }

    private static string By(HttpContext context) => context.User.Identity?.Name ?? "admin";

    /// <summary>The feature's new state, as in the GET.</summary>
    private sealed class StateWritten(RolloutState state) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext) => RolloutEndpoints.WriteStateAsync(httpContext, state);
    }
}
