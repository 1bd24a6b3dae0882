namespace StreamingChat.IntegrationTests;

/// <summary>
/// Tests that read process-wide telemetry (OpenTelemetry listens to meters by name across the process, so hosts of
/// other tests running at the same time would add to the counts). They run alone, after the parallel tests.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SoloCollection
{
    public const string Name = "Process-wide telemetry";
}
