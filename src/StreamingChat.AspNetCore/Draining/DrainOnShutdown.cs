using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace StreamingChat.AspNetCore;

/// <summary>
/// Drains on SIGTERM (or any host stop). Before the server stops listening (<see cref="StoppingAsync"/>), draining begins:
/// readiness fails and new streams get 503 <c>server_draining</c>, for <see cref="DrainOptions.NoticeSeconds"/>. The
/// server then stops taking connections and waits for the answers still running; when
/// <see cref="DrainOptions.TimeoutSeconds"/> have passed since SIGTERM, those still running end with <c>server_draining</c>.
/// </summary>
internal sealed class DrainOnShutdown(StreamingChatDrain drain, IOptions<DrainOptions> options, TimeProvider time, ILogger<DrainOnShutdown> logger) : IHostedLifecycleService, IDisposable
{
    private ITimer? _deadline;

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        drain.BeginDrain();
        DrainLog.Began(logger, drain.ActiveAnswers, settings.TimeoutSeconds);
        _deadline = time.CreateTimer(
            _ =>
            {
                if (drain.ActiveAnswers > 0)
                {
                    DrainLog.DeadlineReached(logger, drain.ActiveAnswers);
                }

                drain.EndRemainingAnswers();
            },
            null,
            TimeSpan.FromSeconds(settings.TimeoutSeconds),
            Timeout.InfiniteTimeSpan);
        if (settings.NoticeSeconds > 0)
        {
            await Task.Delay(TimeSpan.FromSeconds(settings.NoticeSeconds), time, cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // The server has stopped listening and waits for the answers still running; so does this, to log the end.
        try
        {
            await drain.WhenIdleAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
            DrainLog.Drained(logger);
        }
        catch (OperationCanceledException)
        {
            // The host's shutdown timeout ended the wait.
        }
    }

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose() => _deadline?.Dispose();
}

/// <summary>The web package's log messages about draining: event ids 2100–2199.</summary>
internal static partial class DrainLog
{
    [LoggerMessage(2101, LogLevel.Warning, "Draining: {Active} answers running; new streams are refused; the rest end in {TimeoutSeconds} s.")]
    public static partial void Began(ILogger logger, long active, double timeoutSeconds);

    [LoggerMessage(2102, LogLevel.Warning, "Drain time is over: ending {Active} answers with server_draining.")]
    public static partial void DeadlineReached(ILogger logger, long active);

    [LoggerMessage(2103, LogLevel.Information, "Drained: no answer is running.")]
    public static partial void Drained(ILogger logger);
}
