using System.Buffers;

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

        /// <summary>Set when the answer's session was erased: the entry is gone from the log, and its readers are told so.</summary>
        public bool Erased;
        public readonly List<AnswerWaiter> Waiters = [];

        // While the answer runs: its events in a small array of its own (a waiting answer holds its start event, no
        // more), then in arrays from the shared pool, grown by renting a larger one and handed back when the answer is
        // compacted, so appending a token allocates nothing once the pool is warm (AnswerLogBenchmarks). Null once
        // compacted.
        private AnswerEvent[]? _events = new AnswerEvent[4];
        private bool _pooled;
        private int _count;

        // Compacted: the tokens' text in one string, each event's end in it (tokens) or its place in _others (the rest,
        // as ~index).
        private string _text = "";
        private int[] _ends = [];
        private AnswerEvent[] _others = [];

        public int Count => _events is null ? _ends.Length : _count;

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

        public void Add(in AnswerEvent streamEvent)
        {
            var events = _events!;
            if (_count == events.Length)
            {
                var larger = ArrayPool<AnswerEvent>.Shared.Rent(Math.Max(32, events.Length * 2));
                events.AsSpan(0, _count).CopyTo(larger);
                Release(events);
                _pooled = true;
                _events = events = larger;
            }

            events[_count++] = streamEvent;
        }

        public void CopyTo(int from, List<AnswerEvent> into)
        {
            if (_events is { } events)
            {
                for (var i = from; i < _count; i++)
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
                    into.Add(AnswerEvent.ForToken(_text[start..end]));
                    start = end;
                }
            }
        }

        /// <summary>
        /// Turns the events into the compact form; returns what it costs now. The tokens' text is copied once into a string
        /// of its exact length, so compacting allocates that text, one offset per event and the few other events.
        /// </summary>
        public long Compact()
        {
            var events = _events!;
            var count = _count;
            var ends = new int[count];
            var length = 0;
            var others = 0;
            for (var i = 0; i < count; i++)
            {
                if (events[i].Kind == AnswerEventKind.Token)
                {
                    length += events[i].Text!.Length;
                }
                else
                {
                    others++;
                }
            }

            var kept = new AnswerEvent[others];
            long bytes = 0;
            var end = 0;
            var other = 0;
            for (var i = 0; i < count; i++)
            {
                if (events[i].Kind == AnswerEventKind.Token)
                {
                    end += events[i].Text!.Length;
                    ends[i] = end;
                }
                else
                {
                    ends[i] = ~other;
                    kept[other++] = events[i];
                    bytes += AnswerEventSize.Of(events[i]);
                }
            }

            _text = string.Create(length, (Events: events, Count: count), static (span, state) =>
            {
                for (var i = 0; i < state.Count; i++)
                {
                    if (state.Events[i].Kind == AnswerEventKind.Token)
                    {
                        var token = state.Events[i].Text!;
                        token.CopyTo(span);
                        span = span[token.Length..];
                    }
                }
            });
            _ends = ends;
            _others = kept;
            _events = null;
            Release(events);
            return bytes + (2L * _text.Length) + (4L * ends.Length) + 64;
        }

        private void Release(AnswerEvent[] events)
        {
            if (_pooled)
            {
                ArrayPool<AnswerEvent>.Shared.Return(events, clearArray: true);
            }
        }

        public AnswerState Snapshot()
        {
            lock (this)
            {
                return new AnswerState(Info, Count, Status);
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
