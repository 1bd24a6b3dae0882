namespace StreamingChat.Core;

/// <summary>One answer's log inside <see cref="InMemoryAnswerLog"/>.</summary>
internal sealed partial class InMemoryAnswerLog
{
    /// <summary>One answer's log: its events as appended while it runs; once ended, compacted.</summary>
    private sealed class Entry
    {
        public readonly AnswerInfo Info;

        /// <summary>Unlinks a cancelled waiter; one delegate for the entry's life, not one per wait.</summary>
        public readonly Action<AnswerWaiter> Unlink;
        public long Bytes;
        public long EndedAt;
        public MessageStatus? Status;
        public readonly List<AnswerWaiter> Waiters = [];

        private List<ChatStreamEvent>? _events = [];

        // Compacted: the tokens' text in one string, each event's end in it (tokens) or its place in _others (the rest,
        // as ~index).
        private string _text = "";
        private int[] _ends = [];
        private ChatStreamEvent[] _others = [];

        public int Count => _events?.Count ?? _ends.Length;

        public Entry(AnswerInfo info)
        {
            Info = info;
            Unlink = waiter =>
            {
                lock (this)
                {
                    Waiters.Remove(waiter);
                }
            };
        }

        public void Add(in ChatStreamEvent streamEvent) => _events!.Add(streamEvent);

        public void CopyTo(int from, List<ChatStreamEvent> into)
        {
            if (_events is { } events)
            {
                for (var i = from; i < events.Count; i++)
                {
                    into.Add(events[i]);
                }

                return;
            }

            var start = LastTokenEndBefore(from);
            for (var i = from; i < _ends.Length; i++)
            {
                var end = _ends[i];
                if (end < 0)
                {
                    into.Add(_others[~end]);
                }
                else
                {
                    into.Add(ChatStreamEvent.ForToken(_text[start..end]));
                    start = end;
                }
            }
        }

        /// <summary>Turns the events into the compact form; returns what it costs now.</summary>
        public long Compact()
        {
            var events = _events!;
            var text = new System.Text.StringBuilder();
            var ends = new int[events.Count];
            var others = new List<ChatStreamEvent>();
            long bytes = 0;
            for (var i = 0; i < events.Count; i++)
            {
                if (events[i].Kind == ChatStreamEventKind.Token)
                {
                    text.Append(events[i].Text);
                    ends[i] = text.Length;
                }
                else
                {
                    ends[i] = ~others.Count;
                    others.Add(events[i]);
                    bytes += SizeOf(events[i]);
                }
            }

            _text = text.ToString();
            _ends = ends;
            _others = [.. others];
            _events = null;
            return bytes + (2L * _text.Length) + (4L * ends.Length) + 64;
        }

        public AnswerSnapshot Snapshot()
        {
            lock (this)
            {
                return new AnswerSnapshot(Info, Count, Status);
            }
        }

        private int LastTokenEndBefore(int index)
        {
            for (var i = index - 1; i >= 0; i--)
            {
                if (_ends[i] >= 0)
                {
                    return _ends[i];
                }
            }

            return 0;
        }
    }
}
