using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.FeatureManagement;
using Microsoft.FeatureManagement.AspNetCore;
using Microsoft.FeatureManagement.FeatureFilters;
using StreamingChat.Core;

namespace StreamingChat.Rollout.Tests;

/// <summary>A consumer's own endpoint gated on <c>streaming</c> the usual FeatureManagement way, on Kestrel over loopback.</summary>
public sealed class FeatureGateServerTests
{
    [Fact]
    public async Task WithFeatureGate_AndIFeatureManager_AnswerAsTheStreamEndpointDecides_ForEveryCaller()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddStreamingChatCore(builder.Configuration).AddStreamingRollout();
        await using var app = builder.Build();
        app.MapGet("/gated", () => "streaming is on for you").WithFeatureGate(RolloutOptions.StreamingFeature);
        app.MapGet("/ask", async (IFeatureManager features) => await features.IsEnabledAsync(RolloutOptions.StreamingFeature) ? "on" : "off");
        await app.StartAsync();
        await app.Services.GetRequiredService<IRolloutStore>().SetAsync(RolloutOptions.StreamingFeature, 50, "admin", null);
        using var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
        var decider = app.Services.GetRequiredService<IStreamingModeDecider>();
        var on = 0;

        for (var i = 0; i < 40; i++)
        {
            var id = $"user-{i}";
            var endpoint = await decider.IsStreamingEnabledAsync(new ChatQuery("hi", "demo", "session", false, id));
            var direct = await app.Services.GetRequiredService<IVariantFeatureManager>().IsEnabledAsync(RolloutOptions.StreamingFeature, new TargetingContext { UserId = id });
            using var gated = new HttpRequestMessage(HttpMethod.Get, "/gated") { Headers = { { StreamingTargetingContextAccessor.UserIdHeader, id } } };
            using var gatedResponse = await client.SendAsync(gated);
            using var asked = new HttpRequestMessage(HttpMethod.Get, "/ask") { Headers = { { StreamingTargetingContextAccessor.UserIdHeader, id } } };
            var askedAnswer = await (await client.SendAsync(asked)).Content.ReadAsStringAsync();

            Assert.Equal(endpoint, direct);
            Assert.Equal(endpoint, gatedResponse.IsSuccessStatusCode);
            Assert.Equal(endpoint ? "on" : "off", askedAnswer);
            on += endpoint ? 1 : 0;
        }

        Assert.InRange(on, 1, 39); // at 50 % some callers are in and some out
        await app.StopAsync();
    }
}
