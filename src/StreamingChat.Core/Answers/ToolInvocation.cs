using System.Globalization;
using Microsoft.Extensions.AI;

namespace StreamingChat.Core;

/// <summary>
/// How tools run inside an answer, on Microsoft.Extensions.AI's function invocation: one call at a time, at most
/// <see cref="ChatStreamOptions.MaxToolRounds"/> rounds, each call bounded by <see cref="ChatStreamOptions.ToolTimeoutSeconds"/>
/// and cancelled with the answer (a stop, from any instance, reaches the tool's token). A tool that throws, is unknown, or
/// takes too long gives the model an error result and the answer goes on.
/// </summary>
internal static class ToolInvocation
{
    public static void Configure(FunctionInvokingChatClient invocation, Func<ChatStreamOptions> options)
    {
        var current = options();
        invocation.MaximumIterationsPerRequest = current.MaxToolRounds;
        invocation.AllowConcurrentInvocation = false;
        invocation.IncludeDetailedErrors = false; // the model is told a tool failed, not what its exception said
        invocation.FunctionInvoker = (context, cancellationToken) => InvokeAsync(context, options().ToolTimeoutSeconds, cancellationToken);
    }

    private static async ValueTask<object?> InvokeAsync(FunctionInvocationContext context, double timeoutSeconds, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(TimeSpan.FromSeconds(timeoutSeconds));
        try
        {
            return await context.Function.InvokeAsync(context.Arguments, limit.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The tool's own limit, not the answer's end: the model hears it failed and goes on.
            throw new TimeoutException($"The tool did not answer within {timeoutSeconds.ToString(CultureInfo.InvariantCulture)} s.");
        }
    }
}
