namespace StreamingChat.AspNetCore;

/// <summary>The groups the OpenAPI document files StreamingChat's endpoints under.</summary>
internal static class EndpointTags
{
    public const string Chat = "Chat";
    public const string Answers = "Answers";
    public const string Sessions = "Sessions";
    public const string FrontEnds = "Front-end protocols";
    public const string Metrics = "Metrics";
    public const string Health = "Health";
}
