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
        Assert.Equal("""{"type":"text-delta","id":"text-1","delta":"Hel"}""", frames[3]);
        Assert.Equal("""{"type":"finish","finishReason":"stop","messageMetadata":{"usage":{"inputTokens":12,"outputTokens":2},"firstTokenMs":183,"totalMs":402,"finishReason":"stop"}}""", frames[7]);
    }

    [Fact]
    public void UiMessageStream_AnError_ClosesTheTextThenErrorThenDone_AndAudioIsADataPart()
    {
        var audio = AnswerEvent.ForAudio(new AnswerAudio(0, "Hi.", "wav", new byte[] { 1, 2, 3 }));
        var frames = Frames(new UiMessageStreamFraming(), Start, AnswerEvent.ForToken("Hi."), audio, AnswerEvent.ForError(new AnswerError(ChatErrorCodes.UpstreamTimeout, "slow", true)));

        Assert.Equal(["start", "start-step", "text-start", "text-delta", "data-audio", "text-end", "error", "[DONE]"], frames.Select(Type));
        Assert.Equal("""{"type":"data-audio","id":"audio-0","data":{"seq":0,"text":"Hi.","format":"wav","data":"AQID"}}""", frames[4]);
        Assert.Equal("""{"type":"error","errorText":"slow (upstream_timeout)"}""", frames[6]);
    }

    [Fact]
    public void AgUi_AnAnswer_EndsItsMessageBeforeTheRun_AndNeverSendsAnEmptyDelta()
    {
        var frames = Frames(new AgUiFraming("t1", "r1"), Start, AnswerEvent.ForToken(""), AnswerEvent.ForToken("Hi"), Done);

        Assert.Equal(["RUN_STARTED", "TEXT_MESSAGE_START", "TEXT_MESSAGE_CONTENT", "TEXT_MESSAGE_END", "RUN_FINISHED"], frames.Select(Type));
        Assert.Equal("""{"type":"RUN_STARTED","threadId":"t1","runId":"r1"}""", frames[0]);
        Assert.Equal("""{"type":"TEXT_MESSAGE_CONTENT","messageId":"m1","delta":"Hi"}""", frames[2]);

        var failed = Frames(new AgUiFraming("t1", "r2"), Start, AnswerEvent.ForError(new AnswerError(ChatErrorCodes.UpstreamUnavailable, "down", true)));
        Assert.Equal(["RUN_STARTED", "RUN_ERROR"], failed.Select(Type));
        Assert.Equal("""{"type":"RUN_ERROR","message":"down","code":"upstream_unavailable"}""", failed[^1]);
    }

    /// <summary>An answer with every part: reasoning, a tool call and its result, then text citing a source.</summary>
    private static readonly AnswerEvent[] RichAnswer =
    [
        Start,
        AnswerEvent.ForReasoning("The user asks"),
        AnswerEvent.ForReasoning(" for the time."),
        AnswerEvent.ForToolCall(new AnswerToolCall("call_1", "get_time", Json("""{"zone":"UTC"}"""))),
        AnswerEvent.ForToolResult(new AnswerToolResult("call_1", "get_time", Json("""{"utc":"2026-12-07T18:00:00Z"}"""))),
        AnswerEvent.ForToken("It is"),
        AnswerEvent.ForSource(new AnswerSource("source-0", "https://example.com/utc", "UTC")),
        AnswerEvent.ForToken(" six."),
        Done,
    ];

    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement.Clone();

    [Fact]
    public void UiMessageStream_ARichAnswer_IsOneStepPerModelCall_EachPartOpenedAndClosed()
    {
        var frames = Frames(new UiMessageStreamFraming(), RichAnswer);

        Assert.Equal(
            ["start", "start-step", "reasoning-start", "reasoning-delta", "reasoning-delta", "reasoning-end", "tool-input-start", "tool-input-available", "tool-output-available", "finish-step",
             "start-step", "text-start", "text-delta", "source-url", "text-delta", "text-end", "finish-step", "finish", "[DONE]"],
            frames.Select(Type));
        Assert.Equal("""{"type":"reasoning-delta","id":"reasoning-1","delta":"The user asks"}""", frames[3]);
        Assert.Equal("""{"type":"tool-input-available","toolCallId":"call_1","toolName":"get_time","input":{"zone":"UTC"}}""", frames[7]);
        Assert.Equal("""{"type":"tool-output-available","toolCallId":"call_1","output":{"utc":"2026-12-07T18:00:00Z"}}""", frames[8]);
        Assert.Equal("""{"type":"source-url","sourceId":"source-0","url":"https://example.com/utc","title":"UTC"}""", frames[13]);
    }

    [Fact]
    public void UiMessageStream_AFailedToolAndAnApproval_AreAnOutputErrorAndAnApprovalRequest()
    {
        var frames = Frames(
            new UiMessageStreamFraming(),
            Start,
            AnswerEvent.ForToolCall(new AnswerToolCall("call_1", "get_time", Json("{}"))),
            AnswerEvent.ForToolResult(new AnswerToolResult("call_1", "get_time", null, "The tool failed (InvalidOperationException).")),
            AnswerEvent.ForApprovalRequest(new AnswerApprovalRequest("a1", "call_2", "open_ticket", Json("""{"title":"Printer"}"""))),
            AnswerEvent.ForDone(new AnswerDone("approval_required", null, null, 5)));

        Assert.Contains("""{"type":"tool-output-error","toolCallId":"call_1","errorText":"The tool failed (InvalidOperationException)."}""", frames);
        Assert.Contains("""{"type":"tool-approval-request","approvalId":"a1","toolCallId":"call_2"}""", frames);
        Assert.Equal(["finish-step", "finish", "[DONE]"], frames.TakeLast(3).Select(Type));
    }

    [Fact]
    public void AgUi_ARichAnswer_OneMessageAtATime_ToolCallsWhole_AndAnApprovalIsAnInterrupt()
    {
        var frames = Frames(new AgUiFraming("t1", "r1"), RichAnswer);

        Assert.Equal(
            ["RUN_STARTED", "REASONING_START", "REASONING_MESSAGE_START", "REASONING_MESSAGE_CONTENT", "REASONING_MESSAGE_CONTENT", "REASONING_MESSAGE_END", "REASONING_END",
             "TOOL_CALL_START", "TOOL_CALL_ARGS", "TOOL_CALL_END", "TOOL_CALL_RESULT", "TEXT_MESSAGE_START", "TEXT_MESSAGE_CONTENT", "CUSTOM", "TEXT_MESSAGE_CONTENT", "TEXT_MESSAGE_END", "RUN_FINISHED"],
            frames.Select(Type));
        Assert.Equal("""{"type":"TOOL_CALL_ARGS","toolCallId":"call_1","delta":"{\"zone\":\"UTC\"}"}""", frames[8]);
        Assert.Equal("""{"type":"TOOL_CALL_RESULT","messageId":"m1-tool-call_1","toolCallId":"call_1","content":"{\"utc\":\"2026-12-07T18:00:00Z\"}","role":"tool"}""", frames[10]);

        var paused = Frames(
            new AgUiFraming("t1", "r2"),
            Start,
            AnswerEvent.ForApprovalRequest(new AnswerApprovalRequest("a1", "call_2", "open_ticket", Json("""{"title":"Printer"}"""))),
            AnswerEvent.ForDone(new AnswerDone("approval_required", null, null, 5)));
        var outcome = JsonDocument.Parse(paused[^1]).RootElement.GetProperty("outcome");
        Assert.Equal("interrupt", outcome.GetProperty("type").GetString());
        Assert.Equal("a1", outcome.GetProperty("interrupts")[0].GetProperty("id").GetString());
        Assert.Equal("call_2", outcome.GetProperty("interrupts")[0].GetProperty("toolCallId").GetString());
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
