using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Text;
using System.Xml.Linq;
using StreamingChat.Testing;
using Xunit.Abstractions;

namespace StreamingChat.IntegrationTests;

/// <summary>
/// The four packages as a team adopts them: packed from this checkout into a local folder, then samples/PackageConsumer
/// copied out of the repository (so none of its build files apply) and built against them by version from that folder
/// and the machine's own package source, run, and asked over HTTP.
/// </summary>
[Collection(SoloCollection.Name)] // packing and building take both cores for a while; the timing tests run apart
public sealed class PackageConsumerServerTests(ITestOutputHelper output) : IDisposable
{
    private static readonly string[] Packages = ["StreamingChat.Core", "StreamingChat.AspNetCore", "StreamingChat.Mongo", "StreamingChat.Rollout"];
    private readonly string _work = Directory.CreateTempSubdirectory("streamingchat-consumer-").FullName;
    private string? _version;

    public void Dispose()
    {
        // A version made for this run only: its copies in the machine's package cache go with the work folder.
        if (_version is not null)
        {
            var cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
            foreach (var package in Packages)
            {
                TryDelete(Path.Combine(cache, package.ToLowerInvariant(), _version));
            }
        }

        TryDelete(_work);
    }

    [Fact]
    public async Task PackedPackages_HoldReadmeDocsAndSymbols_AndAMinimalAppBuiltFromThem_StreamsAnswersAndItsOwnEvents()
    {
        var feed = Path.Combine(_work, "feed");
        var suffix = "consumer." + DateTime.UtcNow.ToString("yyyyMMddHHmmss", System.Globalization.CultureInfo.InvariantCulture) + Environment.ProcessId;
        foreach (var package in Packages)
        {
            var project = Path.Combine(TestPorts.RepositoryRoot, "src", package, package + ".csproj");
            await RunAsync("dotnet", ["pack", project, "-c", "Release", "-o", feed, "--artifacts-path", Path.Combine(_work, "artifacts"), "-p:VersionSuffix=" + suffix], _work, TimeSpan.FromMinutes(4));
        }

        // Four packages with their readme, XML docs and license, each with its symbols beside it.
        var core = Directory.GetFiles(feed, "StreamingChat.Core.*.nupkg").Single();
        _version = Path.GetFileNameWithoutExtension(core)["StreamingChat.Core.".Length..];
        Assert.EndsWith("-" + suffix, _version, StringComparison.Ordinal);
        foreach (var package in Packages)
        {
            using (var nupkg = ZipFile.OpenRead(Path.Combine(feed, $"{package}.{_version}.nupkg")))
            {
                var names = nupkg.Entries.Select(e => e.FullName).ToHashSet(StringComparer.Ordinal);
                Assert.Contains("README.md", names);
                Assert.Contains($"lib/net10.0/{package}.dll", names);
                Assert.Contains($"lib/net10.0/{package}.xml", names);
                using var nuspecStream = nupkg.GetEntry(package + ".nuspec")!.Open();
                var metadata = XDocument.Load(nuspecStream).Root!.Elements().First(e => e.Name.LocalName == "metadata");
                Assert.Equal("MIT", metadata.Elements().Single(e => e.Name.LocalName == "license").Value);
                Assert.Equal("README.md", metadata.Elements().Single(e => e.Name.LocalName == "readme").Value);
                Assert.NotEmpty(metadata.Elements().Single(e => e.Name.LocalName == "repository").Attribute("commit")?.Value ?? "");
                using var readme = new StreamReader(nupkg.GetEntry("README.md")!.Open());
                Assert.StartsWith("# " + package, await readme.ReadToEndAsync(), StringComparison.Ordinal);
            }

            using var snupkg = ZipFile.OpenRead(Path.Combine(feed, $"{package}.{_version}.snupkg"));
            Assert.Contains(snupkg.Entries, e => e.FullName == $"lib/net10.0/{package}.pdb");
        }

        // The consumer, outside the repository: the local folder added to the machine's own package source.
        var app = Path.Combine(_work, "consumer");
        Directory.CreateDirectory(app);
        foreach (var file in Directory.GetFiles(Path.Combine(TestPorts.RepositoryRoot, "samples", "PackageConsumer")))
        {
            File.Copy(file, Path.Combine(app, Path.GetFileName(file)));
        }

        await File.WriteAllTextAsync(Path.Combine(app, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="streamingchat-local" value="{feed}" />
              </packageSources>
            </configuration>
            """);
        await RunAsync("dotnet", ["build", "-c", "Release", "-o", Path.Combine(app, "out"), "-p:StreamingChatVersion=" + _version], app, TimeSpan.FromMinutes(4));
        var assets = await File.ReadAllTextAsync(Path.Combine(app, "obj", "project.assets.json"));
        Assert.Contains($"\"StreamingChat.AspNetCore/{_version}\"", assets, StringComparison.Ordinal); // from the folder, by version

        var port = TestPorts.Free();
        var run = new ProcessStartInfo("dotnet") { WorkingDirectory = app, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        run.ArgumentList.Add(Path.Combine(app, "out", "PackageConsumer.dll"));
        run.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        run.Environment["Logging__LogLevel__Default"] = "Warning";
        using var process = Process.Start(run)!;
        var printed = new StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (printed) { printed.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (printed) { printed.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await TestPorts.WaitUntilListeningAsync(port, TimeSpan.FromSeconds(60), () => process.HasExited);
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };

            // MapStreamingChat()'s stream endpoint with the app's own IChatClient.
            using var ask = new HttpRequestMessage(HttpMethod.Post, "/api/chat/query/stream")
            {
                Content = new StringContent("""{"query":"Is this from a feed?","chatbotId":"demo","sessionId":"consumer-1"}""", Encoding.UTF8, "application/json"),
            };
            using var streamed = await client.SendAsync(ask, HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(HttpStatusCode.OK, streamed.StatusCode);
            var events = await SseTestClient.ReadResponseAsync(streamed, TimeSpan.FromSeconds(20));
            Assert.Equal("done", events[^1].Type);
            Assert.Equal("You asked: Is this from a feed? ", string.Concat(events.Where(e => e.Type == "token").Select(e => e.Data.GetProperty("text").GetString())));

            // The app's own events through the public SSE building block.
            using var countdown = await client.GetAsync("/countdown?from=2", HttpCompletionOption.ResponseHeadersRead);
            var counts = await SseTestClient.ReadResponseAsync(countdown, TimeSpan.FromSeconds(20));
            Assert.Equal(["0", "1", "2"], counts.Select(e => e.Id));
            Assert.All(counts, e => Assert.Equal("count", e.Type));
            Assert.Equal("lift-off", counts[^1].Data.GetProperty("state").GetString());

            // An answer of the app's own making, relayed by the building block, and its refusals in the product's shape.
            using var own = new HttpRequestMessage(HttpMethod.Post, "/ask") { Content = new StringContent("""{"question":"and mine?"}""", Encoding.UTF8, "application/json") };
            using var ownAnswer = await client.SendAsync(own, HttpCompletionOption.ResponseHeadersRead);
            var ownEvents = await SseTestClient.ReadResponseAsync(ownAnswer, TimeSpan.FromSeconds(20));
            Assert.Equal(["start", "token", "token", "token", "token", "done"], ownEvents.Select(e => e.Type)); // "You asked: and mine?"
            using var empty = await client.PostAsync("/ask", new StringContent("""{"question":""}""", Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);
            Assert.Contains("\"code\":\"invalid_request\"", await empty.Content.ReadAsStringAsync(), StringComparison.Ordinal);

            // The rollout package's endpoints and readiness.
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/metrics/feature-flags")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz/ready")).StatusCode);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token);
            }

            lock (printed)
            {
                output.WriteLine("consumer printed:\n" + printed);
            }
        }
    }

    private async Task RunAsync(string file, string[] args, string directory, TimeSpan limit)
    {
        var info = new ProcessStartInfo(file) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(limit);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} ran over {limit}.\n{await stdout}{await stderr}");
        }

        var printed = await stdout + await stderr;
        output.WriteLine($"$ {file} {string.Join(' ', args)}\n{printed}");
        Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', args)} exited with {process.ExitCode}:\n{printed}");
    }

    private static void TryDelete(string path)
    {
        try
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
        }
        catch (IOException)
        {
        }
    }
}
