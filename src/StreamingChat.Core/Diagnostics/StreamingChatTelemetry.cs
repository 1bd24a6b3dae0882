namespace StreamingChat.Core;

/// <summary>Every telemetry name the answers use, in one place (docs/METRICS.md lists them with units and tags; the rollout package keeps its own in <c>RolloutTelemetry</c>).</summary>
public static class StreamingChatTelemetry
{
    /// <summary>The name of StreamingChat's <see cref="System.Diagnostics.Metrics.Meter"/> and <see cref="System.Diagnostics.ActivitySource"/>.</summary>
    public const string Name = "StreamingChat";

    /// <summary>The source and meter name Microsoft.Extensions.AI's <c>UseOpenTelemetry()</c> uses for the model call.</summary>
    public const string ModelCallSourceName = "Experimental.Microsoft.Extensions.AI";

    /// <summary>Instrument names.</summary>
    public static class Instruments
    {
        /// <summary>Counter of streams started, <c>{stream}</c>.</summary>
        public const string StreamsStarted = "streamingchat.streams.started";

        /// <summary>Counter of streams finished, by outcome and error type, <c>{stream}</c>.</summary>
        public const string StreamsFinished = "streamingchat.streams.finished";

        /// <summary>Up-down counter of streams open now, <c>{stream}</c>.</summary>
        public const string StreamsActive = "streamingchat.streams.active";

        /// <summary>Histogram of the time from the question to the first token, <c>s</c>.</summary>
        public const string TimeToFirstToken = "streamingchat.stream.time_to_first_token";

        /// <summary>Histogram of the time from the question to the end of the stream, <c>s</c>.</summary>
        public const string StreamDuration = "streamingchat.stream.duration";

        /// <summary>Counter of tokens relayed to callers, <c>{token}</c>.</summary>
        public const string Tokens = "streamingchat.tokens";

        /// <summary>Turns waiting for the conversation store (an observable gauge).</summary>
        public const string PendingTurns = "streamingchat.store.pending_turns";

        /// <summary>Writes of answers' events to the shared (Redis) answer log (an observable counter, <c>{write}</c>).</summary>
        public const string AnswerLogWrites = "streamingchat.answer_log.writes";

        /// <summary>Events those writes carried (an observable counter, <c>{event}</c>): events per write is the batching.</summary>
        public const string AnswerLogEvents = "streamingchat.answer_log.events";

        /// <summary>Histogram of the time to speak one sentence, <c>s</c>.</summary>
        public const string SpeechDuration = "streamingchat.speech.duration";

        /// <summary>Counter of sentences that could not be spoken, <c>{sentence}</c>.</summary>
        public const string SpeechFailures = "streamingchat.speech.failures";
    }

    /// <summary>Tag names: standard ones where a standard exists, never a session or user id.</summary>
    public static class Tags
    {
        /// <summary>The model asked (OpenTelemetry GenAI convention).</summary>
        public const string RequestModel = "gen_ai.request.model";

        /// <summary>The error code of a failed stream (OpenTelemetry convention).</summary>
        public const string ErrorType = "error.type";

        /// <summary>The chatbot (bounded: only chatbots that exist reach the pipeline).</summary>
        public const string ChatbotId = "streamingchat.chatbot.id";

        /// <summary><c>succeeded</c>, <c>failed</c> or <c>client_aborted</c>.</summary>
        public const string Outcome = "streamingchat.outcome";

        /// <summary>Whether tokens were streamed (<c>true</c>) or sent in one piece.</summary>
        public const string Streaming = "streamingchat.streaming";

    }

    /// <summary>Outcome tag values.</summary>
    public static class Outcomes
    {
        /// <summary>A <c>done</c> event was sent.</summary>
        public const string Succeeded = "succeeded";

        /// <summary>An <c>error</c> event was sent.</summary>
        public const string Failed = "failed";

        /// <summary>The caller left first.</summary>
        public const string ClientAborted = "client_aborted";
    }
}
