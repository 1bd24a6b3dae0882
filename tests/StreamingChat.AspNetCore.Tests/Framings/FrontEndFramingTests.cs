using System.Buffers;
using System.Text;
using System.Text.Json;
using StreamingChat.Core;

namespace StreamingChat.AspNetCore.Tests;

public sealed class FrontEndFramingTests
{
    private static readonly AnswerEvent Start = AnswerEvent.ForStart(new AnswerStart("m1", "s1", "demo", "gpt", Streaming: true));
    private static readonly AnswerEvent Done = AnswerEvent.ForDone(new AnswerDone("stop", new AnswerUsage(12, 2), 183, 402));

    /// <summary>The JSON of every <c>data:</c> line, in order (<c>[DONE]</c> as itself).</summary>
    private static List<string> Frames(AnswerFraming framing, params AnswerEvent[] events)
    {
        var buffer = new ArrayBufferWriter<byte>();
        for (var i = 0; i < events.Length; i++)
        {
            framing.WriteEvent(buffer, i, events[i]);
        }

        var text = Encoding.UTF8.GetString(buffer.WrittenSpan);
        Assert.EndsWith("\n\n", text, StringComparison.Ordinal);
        return [.. text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Select(block =>
        {
            Assert.StartsWith("data: ", block, StringComparison.Ordinal);
            Assert.DoesNotContain('\n', block);
            return block["data: ".Length..];
        })];
    }

    private static string Type(string json) => json == "[DONE]" ? json : JsonDocument.Parse(json).RootElement.GetProperty("type").GetString()!;

    [Fact]
    public void UiMessageStream_AnAnswer_IsStartStepTextFinishThenDone_WithOnlyTheSdksMembers()
    {
        var frames = Frames(new UiMessageStreamFraming(), Start, AnswerEvent.ForToken("Hel"), AnswerEvent.ForToken(""), AnswerEvent.ForToken("lo"), Done);

        Assert.Equal(["start", "start-step", "text-start", "text-delta", "text-delta", "text-end", "finish-step", "finish", "[DONE]"], frames.Select(Type));
        Assert.Equal("""{"type":"start","messageId":"m1"}""", frames[0]);
        Assert.Equal("""{"type":"text-delta","id":"text","delta":"Hel"}""", frames[3]);
        Assert.Equal("""{"type":"finish","finishReason":"stop","messageMetadata":{"usage":{"inputTokens":12,"outputTokens":2},"firstTokenMs":183,"totalMs":402,"finishReason":"stop"}}""", frames[7]);
    }

    [Fact]
    public void UiMessageStream_AnError_ClosesTheTextThenErrorThenDone_AndAudioIsADataPart()
    {
        var audio = AnswerEvent.ForAudio(new AnswerAudio(0, "Hi.", "wav", new byte[] { 1, 2, 3 }));
        var frames = Frames(new UiMessageStreamFraming(), Start, audio, AnswerEvent.ForError(new AnswerError(ChatErrorCodes.UpstreamTimeout, "slow", true)));

        Assert.Equal(["start", "start-step", "text-start", "data-audio", "text-end", "error", "[DONE]"], frames.Select(Type));
        Assert.Equal("""{"type":"data-audio","id":"audio-0","data":{"seq":0,"text":"Hi.","format":"wav","data":"AQID"}}""", frames[3]);
        Assert.Equal("""{"type":"error","errorText":"slow (upstream_timeout)"}""", frames[5]);
    }

    [Fact]
    public void AgUi_AnAnswer_EndsItsMessageBeforeTheRun_AndNeverSendsAnEmptyDelta()
    {
        var frames = Frames(new AgUiFraming("t1", "r1"), Start, AnswerEvent.ForToken(""), AnswerEvent.ForToken("Hi"), Done);

        Assert.Equal(["RUN_STARTED", "TEXT_MESSAGE_START", "TEXT_MESSAGE_CONTENT", "TEXT_MESSAGE_END", "RUN_FINISHED"], frames.Select(Type));
        Assert.Equal("""{"type":"RUN_STARTED","threadId":"t1","runId":"r1"}""", frames[0]);
        Assert.Equal("""{"type":"TEXT_MESSAGE_CONTENT","messageId":"m1","delta":"Hi"}""", frames[2]);

        var failed = Frames(new AgUiFraming("t1", "r2"), Start, AnswerEvent.ForError(new AnswerError(ChatErrorCodes.UpstreamUnavailable, "down", true)));
        Assert.Equal(["RUN_STARTED", "TEXT_MESSAGE_START", "TEXT_MESSAGE_END", "RUN_ERROR"], failed.Select(Type));
        Assert.Equal("""{"type":"RUN_ERROR","message":"down","code":"upstream_unavailable"}""", failed[^1]);
    }

    [Fact]
    public void BothFramings_AToken_AllocatesNothingOnceWarm()
    {
        var token = AnswerEvent.ForToken(" hello");
        foreach (var framing in new AnswerFraming[] { new UiMessageStreamFraming(), new AgUiFraming("t", "r") })
        {
            var buffer = new ArrayBufferWriter<byte>(64 * 1024);
            framing.WriteEvent(buffer, 0, Start);
            framing.WriteEvent(buffer, 1, token);
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 2; i < 200; i++)
            {
                framing.WriteEvent(buffer, i, token);
            }

            Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        }
    }
}
