using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace StreamingChat.Core.Tests;

/// <summary>
/// A store of an application's own on the public seam, in one file: each answer's log is a file of JSON lines (what the
/// answer is, then one line per event, the terminal one with how it ended) in a folder of its own; readers on this
/// process wait for the next line. Registered with <c>AddAnswerLog&lt;FileAnswerLog&gt;()</c>.
/// </summary>
public sealed class FileAnswerLog : IAnswerLog, IDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly IOptionsMonitor<AnswerOptions> _options;
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _appended = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <summary>Opens a log in a new folder under the temporary folder.</summary>
    public FileAnswerLog(IOptionsMonitor<AnswerOptions> options)
    {
        _options = options;
        Folder = Directory.CreateTempSubdirectory("streamingchat-answers-").FullName;
    }

    /// <summary>Where the answers' files are.</summary>
    public string Folder { get; }

    public ValueTask CreateAsync(AnswerInfo answer, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (File.Exists(PathOf(answer.MessageId)))
            {
                throw new InvalidOperationException($"An answer with id '{answer.MessageId}' is logged already.");
            }

            File.WriteAllText(PathOf(answer.MessageId), JsonSerializer.Serialize(answer, Json) + "\n");
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask<long> AppendAsync(string messageId, AnswerEvent streamEvent, CancellationToken cancellationToken = default)
        => streamEvent.IsTerminal ? throw new ArgumentException("The terminal event is appended with EndAsync.", nameof(streamEvent)) : ValueTask.FromResult(Append(messageId, streamEvent, null));

    public ValueTask<long> EndAsync(string messageId, AnswerEvent terminal, MessageStatus status, CancellationToken cancellationToken = default)
        => terminal.IsTerminal ? ValueTask.FromResult(Append(messageId, terminal, status)) : throw new ArgumentException("Only a done or error event ends an answer.", nameof(terminal));

    public ValueTask<AnswerState?> GetAsync(string messageId, CancellationToken cancellationToken = default)
        => ValueTask.FromResult(Load(messageId)?.State);

    public ValueTask<AnswerState?> GetLatestAsync(string sessionId, CancellationToken cancellationToken = default)
        => ValueTask.FromResult(Directory.EnumerateFiles(Folder, "*.jsonl").Select(f => Load(IdOf(f))?.State)
            .Where(s => s?.Info.SessionId == sessionId).MaxBy(s => s!.Info.CreatedAt));

    public async ValueTask<AnswerRead> ReadAsync(string messageId, long fromId, List<AnswerEvent> events, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var appended = _appended.GetOrAdd(messageId, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
            if (Load(messageId) is not { } answer)
            {
                return AnswerRead.Missing;
            }

            if (fromId < answer.Events.Count)
            {
                events.AddRange(answer.Events.Skip((int)fromId));
                return AnswerRead.Events;
            }

            if (answer.State.Status is not null)
            {
                return AnswerRead.Ended;
            }

            await appended.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public ValueTask EraseSessionAsync(string sessionId, CancellationToken cancellationToken = default)
    {
        foreach (var file in Directory.EnumerateFiles(Folder, "*.jsonl"))
        {
            var id = IdOf(file);
            if (Load(id)?.State.Info.SessionId == sessionId)
            {
                lock (_lock)
                {
                    File.Delete(file);
                }

                Wake(id);
            }
        }

        return ValueTask.CompletedTask;
    }

    public void Dispose() => Directory.Delete(Folder, recursive: true);

    private long Append(string messageId, AnswerEvent streamEvent, MessageStatus? status)
    {
        long id;
        lock (_lock)
        {
            var answer = Load(messageId) ?? throw new InvalidOperationException($"No answer with id '{messageId}' is logged.");
            if (answer.State.Status is not null)
            {
                throw new InvalidOperationException($"The answer '{messageId}' has ended; nothing can be appended to it.");
            }

            id = answer.Events.Count;
            File.AppendAllText(PathOf(messageId), JsonSerializer.Serialize(Line.Of(streamEvent, status), Json) + "\n");
        }

        Wake(messageId);
        return id;
    }

    private void Wake(string messageId)
    {
        if (_appended.TryRemove(messageId, out var appended))
        {
            appended.TrySetResult();
        }
    }

    /// <summary>The answer's file read back; null when there is none, or it ended longer ago than the retention.</summary>
    private (AnswerState State, List<AnswerEvent> Events)? Load(string messageId)
    {
        string[] lines;
        lock (_lock)
        {
            if (!File.Exists(PathOf(messageId)))
            {
                return null;
            }

            lines = File.ReadAllLines(PathOf(messageId));
        }

        var info = JsonSerializer.Deserialize<AnswerInfo>(lines[0], Json)!;
        var read = lines.Skip(1).Select(l => JsonSerializer.Deserialize<Line>(l, Json)!).ToList();
        var end = read.LastOrDefault(l => l.Status is not null);
        if (end is not null && DateTimeOffset.UtcNow - end.At >= TimeSpan.FromSeconds(_options.CurrentValue.RetentionSeconds))
        {
            return null;
        }

        return (new AnswerState(info, read.Count, end?.Status), [.. read.Select(l => l.ToEvent())]);
    }

    private string PathOf(string messageId) => Path.Combine(Folder, Convert.ToHexString(System.Text.Encoding.UTF8.GetBytes(messageId)) + ".jsonl");

    private static string IdOf(string path) => System.Text.Encoding.UTF8.GetString(Convert.FromHexString(Path.GetFileNameWithoutExtension(path)));

    /// <summary>One event as a line: its kind and the one payload it has, and how the answer ended with the terminal one.</summary>
    private sealed record Line(AnswerEventKind Kind, string? Text, AnswerStart? Start, AnswerDone? Done, AnswerError? Error, AnswerAudio? Audio, MessageStatus? Status, DateTimeOffset At)
    {
        public AnswerToolCall? ToolCall { get; init; }

        public AnswerToolResult? ToolResult { get; init; }

        public AnswerApprovalRequest? ApprovalRequest { get; init; }

        public AnswerSource? Source { get; init; }

        public static Line Of(AnswerEvent e, MessageStatus? status) => new(e.Kind, e.Text, e.Start, e.Done, e.Error, e.Audio, status, DateTimeOffset.UtcNow)
        {
            ToolCall = e.ToolCall,
            ToolResult = e.ToolResult,
            ApprovalRequest = e.ApprovalRequest,
            Source = e.Source,
        };

        public AnswerEvent ToEvent() => Kind switch
        {
            AnswerEventKind.Start => AnswerEvent.ForStart(Start!),
            AnswerEventKind.Token => AnswerEvent.ForToken(Text!),
            AnswerEventKind.Audio => AnswerEvent.ForAudio(Audio!),
            AnswerEventKind.Done => AnswerEvent.ForDone(Done!),
            AnswerEventKind.Error => AnswerEvent.ForError(Error!),
            AnswerEventKind.Reasoning => AnswerEvent.ForReasoning(Text!),
            AnswerEventKind.ToolCall => AnswerEvent.ForToolCall(ToolCall!),
            AnswerEventKind.ToolResult => AnswerEvent.ForToolResult(ToolResult!),
            AnswerEventKind.ApprovalRequest => AnswerEvent.ForApprovalRequest(ApprovalRequest!),
            AnswerEventKind.Source => AnswerEvent.ForSource(Source!),
            _ => throw new ArgumentOutOfRangeException(nameof(Kind), Kind, "An event kind this log cannot keep."),
        };
    }
}
