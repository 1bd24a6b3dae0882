using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using StreamingChat.AspNetCore;

namespace Microsoft.AspNetCore.Builder;

/// <summary>StreamingChat's middleware.</summary>
public static class StreamingChatApplicationBuilderExtensions
{
    /// <summary>
    /// Takes the client's address and scheme from <c>X-Forwarded-For</c> and <c>X-Forwarded-Proto</c> when the peer is a
    /// trusted proxy (<c>StreamingChat:ForwardedHeaders</c>: loopback unless configured), with ASP.NET Core's own
    /// forwarded-headers middleware; forwarded headers from any other peer are not believed, and the first request from each
    /// such peer is logged. Call it first, before anything that reads the caller's address (authentication, limits).
    /// </summary>
    /// <exception cref="InvalidOperationException"><c>AddStreamingChat()</c> was not called.</exception>
    public static IApplicationBuilder UseStreamingChatForwardedHeaders(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var untrusted = app.ApplicationServices.GetService<UntrustedForwardedHeaders>()
            ?? throw new InvalidOperationException("Call builder.Services.AddStreamingChat(configuration) before app.UseStreamingChatForwardedHeaders().");
        app.UseForwardedHeaders(app.ApplicationServices.GetRequiredService<IOptions<ForwardedHeadersOptions>>().Value);
        return app.Use((context, next) =>
        {
            untrusted.Observe(context);
            return next(context);
        });
    }
}
