using System.Buffers;
using System.IO.Pipelines;
using System.Net.ServerSentEvents;
using System.Text.Encodings.Web;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using StreamingChat.AspNetCore;
using StreamingChat.Core;

namespace StreamingChat.Benchmarks;

/// <summary>
/// Writing token events, per event: the framework's <see cref="SseFormatter"/> as the baseline, our framing alone,
/// and our writer as the endpoint uses it (into a <see cref="PipeWriter"/>, flushed after every event).
/// </summary>
public class SseFramingBenchmarks
{
    private const int Events = 100;
    private static readonly JsonWriterOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true };
    private readonly AnswerEvent _token = AnswerEvent.ForToken(" hello");
    private readonly ArrayBufferWriter<byte> _buffer = new(64 * 1024);
    private readonly MemoryStream _stream = new(64 * 1024);
    private Utf8JsonWriter _json = null!;
    private Utf8JsonWriter _formatterJson = null!;
    private AnswerOutput _writer = null!;
    private readonly UiMessageStreamFraming _ui = new();
    private readonly AgUiFraming _agui = new("thread", "run");

    [GlobalSetup]
    public void Setup()
    {
        _json = new Utf8JsonWriter(_buffer, JsonOptions);
        _formatterJson = new Utf8JsonWriter(Stream.Null, JsonOptions);
        // Both protocols' framings are given their opening event once, as a stream would, so a token is what is measured.
        _ui.WriteEvent(_buffer, 0, AnswerEvent.ForStart(new AnswerStart("m", "s", "demo", "model", Streaming: true)));
        _agui.WriteEvent(_buffer, 0, AnswerEvent.ForStart(new AnswerStart("m", "s", "demo", "model", Streaming: true)));
        _writer = new AnswerOutput(PipeWriter.Create(Stream.Null), new SseFraming(-1), TimeSpan.Zero, TimeProvider.System);
    }

    [GlobalCleanup]
    public async Task Cleanup() => await _writer.DisposeAsync();

    [Benchmark(Baseline = true, OperationsPerInvoke = Events, Description = "SseFormatter, token event")]
    public async Task SseFormatterToken()
    {
        _stream.Position = 0;
        await SseFormatter.WriteAsync(Items(), _stream, FormatToken);
    }

    [Benchmark(OperationsPerInvoke = Events, Description = "our framing, token event")]
    public void OurFramingToken()
    {
        _buffer.ResetWrittenCount();
        for (var i = 0; i < Events; i++)
        {
            SseFraming.WriteEvent(_buffer, _json, i, _token);
        }
    }

    [Benchmark(OperationsPerInvoke = Events, Description = "AI SDK UI message stream framing, token")]
    public void UiMessageStreamToken()
    {
        _buffer.ResetWrittenCount();
        for (var i = 0; i < Events; i++)
        {
            _ui.WriteEvent(_buffer, i, _token);
        }
    }

    [Benchmark(OperationsPerInvoke = Events, Description = "AG-UI framing, token")]
    public void AgUiToken()
    {
        _buffer.ResetWrittenCount();
        for (var i = 0; i < Events; i++)
        {
            _agui.WriteEvent(_buffer, i, _token);
        }
    }

    [Benchmark(OperationsPerInvoke = Events, Description = "our writer, token event + flush")]
    public async Task OurWriterTokenFlushed()
    {
        for (var i = 0; i < Events; i++)
        {
            await _writer.WriteAsync(_token, i, default);
        }
    }

    private async IAsyncEnumerable<SseItem<AnswerEvent>> Items()
    {
        for (var i = 0; i < Events; i++)
        {
            yield return new SseItem<AnswerEvent>(_token, "token") { EventId = "1" };
        }

        await Task.CompletedTask;
    }

    private void FormatToken(SseItem<AnswerEvent> item, IBufferWriter<byte> output)
    {
        _formatterJson.Reset(output);
        _formatterJson.WriteStartObject();
        _formatterJson.WriteString("text"u8, item.Data.Text);
        _formatterJson.WriteEndObject();
        _formatterJson.Flush();
    }
}
