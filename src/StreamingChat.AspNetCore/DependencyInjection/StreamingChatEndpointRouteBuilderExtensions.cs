using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using StreamingChat.AspNetCore;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps StreamingChat's HTTP endpoints.</summary>
public static class StreamingChatEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps <c>POST /api/chat/query/stream</c> (Server-Sent Events) and <c>POST /api/chat/query</c> (one JSON answer).
    /// The returned builder applies conventions (authorization, rate limiting, CORS) to both.
    /// </summary>
    public static IEndpointConventionBuilder MapStreamingChat(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        if (endpoints.ServiceProvider.GetService<StreamingChatMarker>() is null)
        {
            throw new InvalidOperationException(
                "StreamingChat's services are not registered. Call 'builder.Services.AddStreamingChat(builder.Configuration)' before 'app.MapStreamingChat()'.");
        }

        var group = endpoints.MapGroup("");
        group.MapPost(ChatEndpoints.StreamPath, ChatEndpoints.StreamAsync).WithName("StreamingChat.QueryStream").WithDisplayName("StreamingChat: stream an answer");
        group.MapPost(ChatEndpoints.QueryPath, ChatEndpoints.QueryAsync).WithName("StreamingChat.Query").WithDisplayName("StreamingChat: answer in one piece");
        return group;
    }
}
