using System.Net.ServerSentEvents;
using System.Text.Json;

namespace StreamingChat.Testing;

/// <summary>An event read from a StreamingChat stream with the framework's <see cref="SseParser"/>.</summary>
/// <param name="Type">The event name.</param>
/// <param name="Id">The event id.</param>
/// <param name="Data">The data, parsed.</param>
public sealed record ReceivedEvent(string Type, string? Id, JsonElement Data)
{
    /// <summary>A token event's text.</summary>
    public string? Text => Type == "token" ? Data.GetProperty("text").GetString() : null;
}

/// <summary>Reads a StreamingChat event stream with <see cref="SseParser"/>, the framework's own parser.</summary>
public static class SseTestClient
{
    /// <summary>Parses every event of <paramref name="stream"/> as it arrives.</summary>
    public static async IAsyncEnumerable<ReceivedEvent> ReadEventsAsync(Stream stream, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var parser = SseParser.Create(stream);
        await foreach (var item in parser.EnumerateAsync(cancellationToken))
        {
            using var document = JsonDocument.Parse(item.Data);
            yield return new ReceivedEvent(item.EventType, item.EventId, document.RootElement.Clone());
        }
    }

    /// <summary>
    /// Reads a response's events until <paramref name="stopAfter"/> says so (after that event) or the stream ends, within
    /// <paramref name="patience"/>; the caller drops the response then.
    /// </summary>
    public static async Task<List<ReceivedEvent>> ReadResponseAsync(HttpResponseMessage response, TimeSpan patience, Func<ReceivedEvent, bool>? stopAfter = null)
    {
        ArgumentNullException.ThrowIfNull(response);
        var events = new List<ReceivedEvent>();
        using var timeout = new CancellationTokenSource(patience);
        await foreach (var e in ReadEventsAsync(await response.Content.ReadAsStreamAsync(timeout.Token), timeout.Token))
        {
            events.Add(e);
            if (stopAfter?.Invoke(e) == true)
            {
                break;
            }
        }

        return events;
    }
}
