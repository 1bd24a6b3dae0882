namespace StreamingChat.Core;

/// <summary>How a stream ended, as the metrics count it.</summary>
public enum StreamOutcome
{
    /// <summary>A <c>done</c> event was sent.</summary>
    Succeeded,

    /// <summary>An <c>error</c> event was sent.</summary>
    Failed,

    /// <summary>The caller left first.</summary>
    ClientAborted,
}
