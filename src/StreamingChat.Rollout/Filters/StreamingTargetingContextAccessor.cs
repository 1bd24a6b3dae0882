using Microsoft.AspNetCore.Http;
using Microsoft.FeatureManagement.FeatureFilters;

namespace StreamingChat.Rollout;

/// <summary>
/// The caller FeatureManagement targets when code asks without a context of its own (<c>IFeatureManager.IsEnabledAsync("streaming")</c>,
/// <c>[FeatureGate]</c>, <c>WithFeatureGate()</c>): the signed-in user (<c>NameIdentifier</c>, else the name), else the
/// <c>X-User-Id</c> header, else the <c>X-Session-Id</c> header. These are the ids the chat endpoints bucket on
/// (<c>userId</c>, else <c>sessionId</c>), so the same caller gets the same answer everywhere.
/// </summary>
internal sealed class StreamingTargetingContextAccessor(IHttpContextAccessor httpContextAccessor) : ITargetingContextAccessor
{
    /// <summary>The header that names the user when nobody is signed in.</summary>
    public const string UserIdHeader = "X-User-Id";

    /// <summary>The header that names the session when there is no user.</summary>
    public const string SessionIdHeader = "X-Session-Id";

    /// <inheritdoc/>
    public ValueTask<TargetingContext> GetContextAsync()
    {
        var context = httpContextAccessor.HttpContext;
        if (context is null)
        {
            return ValueTask.FromResult(new TargetingContext());
        }

        var id = StreamingChat.AspNetCore.StreamingChatRequests.UserId(context.User);
        id ??= NonEmpty(context.Request.Headers[UserIdHeader].ToString()) ?? NonEmpty(context.Request.Headers[SessionIdHeader].ToString());
        return ValueTask.FromResult(new TargetingContext { UserId = id });
    }

    private static string? NonEmpty(string value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
