namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Tags of StreamingChat's health checks.</summary>
public static class StreamingChatHealthTags
{
    /// <summary>Checks that decide readiness (<c>/healthz/ready</c>): dependencies reached, and not draining.</summary>
    public const string Ready = "ready";
}
