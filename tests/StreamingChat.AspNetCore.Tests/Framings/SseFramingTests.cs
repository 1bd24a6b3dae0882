using System.Buffers;
using System.IO.Pipelines;
using System.Net.ServerSentEvents;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using StreamingChat.Core;

namespace StreamingChat.AspNetCore.Tests;

public sealed class SseFramingTests
{
    private static readonly AnswerEvent Start = AnswerEvent.ForStart(new AnswerStart("m1", "s1", "demo", "gpt", Streaming: true));
    private static readonly AnswerEvent Done = AnswerEvent.ForDone(new AnswerDone("stop", new AnswerUsage(12, 2), 183, 402));

    private static string Frame(AnswerEvent e, long id = 1, int retry = -1)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using var json = new Utf8JsonWriter(buffer);
        SseFraming.WriteEvent(buffer, json, id, e, retry);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    [Fact]
    public void WriteEvent_Token_IsEventDataIdAndBlankLine()
        => Assert.Equal("event: token\ndata: {\"text\":\"Hel\"}\nid: 1\n\n", Frame(AnswerEvent.ForToken("Hel")));

    [Fact]
    public void WriteEvent_StartWithRetry_RetrySharesTheBlock()
        => Assert.Equal(
            "retry: 3000\nevent: start\ndata: {\"messageId\":\"m1\",\"sessionId\":\"s1\",\"chatbotId\":\"demo\",\"model\":\"gpt\",\"streaming\":true}\nid: 0\n\n",
            Frame(Start, id: 0, retry: 3000));

    [Fact]
    public void WriteEvent_DoneAndError_MatchTheContract()
    {
        Assert.Equal(
            "event: done\ndata: {\"finishReason\":\"stop\",\"usage\":{\"inputTokens\":12,\"outputTokens\":2},\"firstTokenMs\":183,\"totalMs\":402}\nid: 4\n\n",
            Frame(Done, id: 4));
        Assert.Equal(
            "event: error\ndata: {\"code\":\"upstream_timeout\",\"message\":\"slow\",\"retryable\":true}\nid: 2\n\n",
            Frame(AnswerEvent.ForError(new AnswerError(ChatErrorCodes.UpstreamTimeout, "slow", true)), id: 2));
        Assert.Equal(
            "event: done\ndata: {\"finishReason\":\"stop\",\"usage\":null,\"firstTokenMs\":null,\"totalMs\":5}\nid: 3\n\n",
            Frame(AnswerEvent.ForDone(new AnswerDone("stop", null, null, 5)), id: 3));
    }

    [Fact]
    public void WriteEvent_Audio_CarriesSeqTextFormatAndBase64Data_OrAnError()
    {
        Assert.Equal(
            "event: audio\ndata: {\"seq\":0,\"text\":\"Hello!\",\"format\":\"wav\",\"data\":\"UklGRg==\"}\nid: 3\n\n",
            Frame(AnswerEvent.ForAudio(new AnswerAudio(0, "Hello!", "wav", "RIFF"u8.ToArray())), id: 3));
        Assert.Equal(
            "event: audio\ndata: {\"seq\":1,\"text\":\"Bye.\",\"format\":\"wav\",\"error\":\"The sentence could not be spoken.\"}\nid: 5\n\n",
            Frame(AnswerEvent.ForAudio(new AnswerAudio(1, "Bye.", "wav", ReadOnlyMemory<byte>.Empty, "The sentence could not be spoken.")), id: 5));
    }

    [Theory]
    [InlineData("line\nbreak")]
    [InlineData("carriage\rreturn")]
    [InlineData("\r\n\n\n")]
    [InlineData("quote \" and \\ backslash")]
    [InlineData("ünïcødé 你好 🎉")]
    [InlineData("data: fake\n\nevent: done")]
    public void WriteEvent_AnyText_StaysOneDataLineAndRoundTrips(string text)
    {
        var frame = Frame(AnswerEvent.ForToken(text));

        Assert.Equal(4, frame.Split('\n').Length - 1); // event, data, id, blank
        var item = Assert.Single(SseParser.Create(new MemoryStream(Encoding.UTF8.GetBytes(frame))).Enumerate());
        Assert.Equal(text, JsonDocument.Parse(item.Data).RootElement.GetProperty("text").GetString());
    }

    [Fact]
    public void WriteEvent_Token_AllocatesNothingOnceWarm()
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        using var json = new Utf8JsonWriter(buffer);
        var token = AnswerEvent.ForToken("Hello");
        SseFraming.WriteEvent(buffer, json, 1, token);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            buffer.ResetWrittenCount();
            SseFraming.WriteEvent(buffer, json, i, token);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public async Task WriteAsync_Sequence_IdsCountFromZeroAndRetryComesOnce()
    {
        var pipe = new Pipe();
        var writer = new NumberedOutput(pipe.Writer, TimeSpan.Zero, TimeProvider.System);
        await using (writer)
        {
            Assert.True(await writer.WriteAsync(Start, default));
            Assert.True(await writer.WriteAsync(AnswerEvent.ForToken("a"), default));
            Assert.True(await writer.WriteAsync(AnswerEvent.ForToken("b"), default));
            Assert.True(await writer.WriteAsync(Done, default));
            Assert.False(await writer.WriteAsync(AnswerEvent.ForToken("after the end"), default));
        }

        await pipe.Writer.CompleteAsync();
        var items = await ParseAsync(pipe.Reader);
        Assert.Equal(["0", "1", "2", "3"], items.Select(i => i.EventId));
        Assert.Equal(["start", "token", "token", "done"], items.Select(i => i.EventType));
        Assert.Equal(TimeSpan.FromMilliseconds(3000), items[0].ReconnectionInterval);
        var text = await ReadAllAsync(pipe);
        Assert.Equal(1, CountOf(text, "retry:"));
    }

    [Fact]
    public async Task Heartbeat_AfterSilence_IsACommentLineWithNoBlankLine()
    {
        var time = new FakeTimeProvider();
        var pipe = new Pipe();
        var writer = new NumberedOutput(pipe.Writer, TimeSpan.FromSeconds(15), time);
        await using (writer)
        {
            await writer.WriteAsync(Start, default);
            time.Advance(TimeSpan.FromSeconds(14));
            Assert.DoesNotContain(": keep-alive", await ReadAvailableAsync(pipe.Reader));

            time.Advance(TimeSpan.FromSeconds(1));
            Assert.Equal(": keep-alive\n", await ReadAvailableAsync(pipe.Reader));

            time.Advance(TimeSpan.FromSeconds(10));
            await writer.WriteAsync(AnswerEvent.ForToken("x"), default);
            Assert.EndsWith("\nid: 1\n\n", await ReadAvailableAsync(pipe.Reader), StringComparison.Ordinal);

            // Silence is counted from the last write: nothing 15 s after the heartbeat, one 15 s after the token.
            time.Advance(TimeSpan.FromSeconds(5));
            time.Advance(TimeSpan.FromSeconds(9));
            time.Advance(TimeSpan.FromSeconds(1));
            Assert.Equal(": keep-alive\n", await ReadAvailableAsync(pipe.Reader));

            await writer.WriteAsync(Done, default);
            await ReadAvailableAsync(pipe.Reader);
            time.Advance(TimeSpan.FromSeconds(60));
        }

        await pipe.Writer.CompleteAsync();
        Assert.Equal("", await ReadAllAsync(pipe)); // nothing after the terminal event
    }

    [Fact]
    public async Task Heartbeat_ParsedByAStandardParser_YieldsNoEmptyMessage()
    {
        var time = new FakeTimeProvider();
        var pipe = new Pipe();
        var writer = new NumberedOutput(pipe.Writer, TimeSpan.FromSeconds(1), time);
        await using (writer)
        {
            await writer.WriteAsync(Start, default);
            time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(50);
            time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(50);
            await writer.WriteAsync(AnswerEvent.ForToken("x"), default);
            await writer.WriteAsync(Done, default);
        }

        await pipe.Writer.CompleteAsync();
        var raw = Encoding.UTF8.GetString((await pipe.Reader.ReadAsync()).Buffer.ToArray());
        Assert.Equal(2, CountOf(raw, ": keep-alive\n"));
        Assert.DoesNotContain(": keep-alive\n\n", raw, StringComparison.Ordinal);

        // Every blank line ends an event that has data: the rule that keeps fetch-event-source from passing "" to JSON.parse.
        var blocks = raw.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, blocks.Length);
        Assert.All(blocks, b => Assert.Contains("\ndata: {", "\n" + b, StringComparison.Ordinal));
        var items = SseParser.Create(new MemoryStream(Encoding.UTF8.GetBytes(raw))).Enumerate().ToList();
        Assert.Equal(["start", "token", "done"], items.Select(i => i.EventType));
    }

    private static int CountOf(string text, string part) => (text.Length - text.Replace(part, "", StringComparison.Ordinal).Length) / part.Length;

    private static async Task<string> ReadAvailableAsync(PipeReader reader)
    {
        // Heartbeats are written from a timer callback: give it a moment to land.
        for (var i = 0; i < 100; i++)
        {
            if (reader.TryRead(out var result))
            {
                var text = Encoding.UTF8.GetString(result.Buffer.ToArray());
                reader.AdvanceTo(result.Buffer.End);
                return text;
            }

            await Task.Delay(10);
        }

        return "";
    }

    private static async Task<string> ReadAllAsync(Pipe pipe)
    {
        var result = await pipe.Reader.ReadAsync();
        var text = Encoding.UTF8.GetString(result.Buffer.ToArray());
        pipe.Reader.AdvanceTo(result.Buffer.End);
        return text;
    }

    private static async Task<List<SseItem<string>>> ParseAsync(PipeReader reader)
    {
        var result = await reader.ReadAsync();
        while (!result.IsCompleted)
        {
            reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
            result = await reader.ReadAsync();
        }

        var bytes = result.Buffer.ToArray();
        reader.AdvanceTo(result.Buffer.Start); // leave the bytes for the next read
        return [.. SseParser.Create(new MemoryStream(bytes)).Enumerate()];
    }

    /// <summary>The relay's output over our SSE framing, numbering events from 0 as the answer log does.</summary>
    private sealed class NumberedOutput(PipeWriter output, TimeSpan heartbeat, TimeProvider time) : IAsyncDisposable
    {
        private readonly AnswerOutput _output = new(output, new SseFraming(3000), heartbeat, time);
        private long _nextId;

        public ValueTask<bool> WriteAsync(AnswerEvent streamEvent, CancellationToken cancellationToken) => _output.WriteAsync(streamEvent, _nextId++, cancellationToken);

        public ValueTask DisposeAsync() => _output.DisposeAsync();
    }
}
