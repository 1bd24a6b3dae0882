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

        /// <summary>Counter of tool calls that ran (or failed, or were denied), by tool and outcome, <c>{call}</c>.</summary>
        public const string ToolCalls = "streamingchat.tool.calls";

        /// <summary>Counter of answers in which the model reasoned, <c>{answer}</c>.</summary>
        public const string ReasoningAnswers = "streamingchat.reasoning.answers";

        /// <summary>Counter of ratings people gave answers, by chatbot and rating (<c>up</c>, <c>down</c>), <c>{rating}</c>.</summary>
        public const string Feedback = "streamingchat.feedback";
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

        /// <summary>A person's rating of an answer: <c>up</c> or <c>down</c>.</summary>
        public const string Rating = "streamingchat.feedback.rating";

        /// <summary>The tool called (OpenTelemetry GenAI convention; bounded: only tools added to the builder run).</summary>
        public const string ToolName = "gen_ai.tool.name";

    }

    /// <summary>
    /// The model call's <c>gen_ai.client.*</c> instruments (OpenTelemetry's GenAI semantic conventions), as
    /// Microsoft.Extensions.AI's <c>UseOpenTelemetry()</c> records them and <see cref="ModelCallMetricsChatClient"/> does
    /// without spans, on the meter <see cref="ModelCallSourceName"/>: names, units, descriptions, the conventions' advised
    /// bucket boundaries, and the tags written.
    /// </summary>
    public static class ModelCall
    {
        /// <summary>Histogram of a model call's duration, in <see cref="Seconds"/>.</summary>
        public const string OperationDuration = "gen_ai.client.operation.duration";

        /// <summary>Histogram of the input and output tokens of a model call (<see cref="Tags.TokenType"/>), in <see cref="Tokens"/>.</summary>
        public const string TokenUsage = "gen_ai.client.token.usage";

        /// <summary>Histogram of the time to a streamed call's first chunk, in <see cref="Seconds"/>.</summary>
        public const string TimeToFirstChunk = "gen_ai.client.operation.time_to_first_chunk";

        /// <summary>Histogram of the time between a streamed call's chunks after the first, in <see cref="Seconds"/>: recorded once per token.</summary>
        public const string TimePerOutputChunk = "gen_ai.client.operation.time_per_output_chunk";

        /// <summary>The unit of the durations, seconds.</summary>
        public const string Seconds = "s";

        /// <summary>The unit of <see cref="TokenUsage"/>.</summary>
        public const string Tokens = "{token}";

        /// <summary>The description of <see cref="OperationDuration"/>.</summary>
        public const string OperationDurationDescription = "Measures the duration of a GenAI operation";

        /// <summary>The description of <see cref="TokenUsage"/>.</summary>
        public const string TokenUsageDescription = "Measures number of input and output tokens used";

        /// <summary>The description of <see cref="TimeToFirstChunk"/>.</summary>
        public const string TimeToFirstChunkDescription = "Measures the time to receive the first chunk in a streaming operation";

        /// <summary>The description of <see cref="TimePerOutputChunk"/>.</summary>
        public const string TimePerOutputChunkDescription = "Measures the time per output chunk in a streaming operation";

        /// <summary>The bucket boundaries of <see cref="OperationDuration"/>, in seconds.</summary>
        public static readonly IReadOnlyList<double> OperationDurationBuckets = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];

        /// <summary>The bucket boundaries of <see cref="TokenUsage"/>, in tokens (whole numbers: the histogram counts tokens).</summary>
        public static readonly IReadOnlyList<int> TokenUsageBuckets = [1, 4, 16, 64, 256, 1_024, 4_096, 16_384, 65_536, 262_144, 1_048_576, 4_194_304, 16_777_216, 67_108_864];

        /// <summary>The bucket boundaries of <see cref="TimeToFirstChunk"/>, in seconds.</summary>
        public static readonly IReadOnlyList<double> TimeToFirstChunkBuckets = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0];

        /// <summary>The bucket boundaries of <see cref="TimePerOutputChunk"/>, in seconds.</summary>
        public static readonly IReadOnlyList<double> TimePerOutputChunkBuckets = [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5];

        /// <summary>
        /// Tag names of the model call's measurements, besides <see cref="StreamingChatTelemetry.Tags.RequestModel"/> and
        /// <see cref="StreamingChatTelemetry.Tags.ErrorType"/> (a failed call's exception type), and their fixed values.
        /// </summary>
        public static class Tags
        {
            /// <summary>The operation (<see cref="ChatOperation"/>).</summary>
            public const string OperationName = "gen_ai.operation.name";

            /// <summary>The provider, as the client's <c>ChatClientMetadata</c> names it.</summary>
            public const string ProviderName = "gen_ai.provider.name";

            /// <summary>The model that answered, as the response names it.</summary>
            public const string ResponseModel = "gen_ai.response.model";

            /// <summary>The provider's host name.</summary>
            public const string ServerAddress = "server.address";

            /// <summary>The provider's port.</summary>
            public const string ServerPort = "server.port";

            /// <summary>Which tokens a <see cref="TokenUsage"/> measurement counts: <see cref="InputTokens"/> or <see cref="OutputTokens"/>.</summary>
            public const string TokenType = "gen_ai.token.type";

            /// <summary>The <see cref="OperationName"/> of a chat call.</summary>
            public const string ChatOperation = "chat";

            /// <summary>The <see cref="TokenType"/> of the prompt's tokens.</summary>
            public const string InputTokens = "input";

            /// <summary>The <see cref="TokenType"/> of the answer's tokens.</summary>
            public const string OutputTokens = "output";
        }
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
