using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using StreamingChat.Testing;

namespace StreamingChat.IntegrationTests;

/// <summary>
/// The built host started as an operator starts it, asked one question (which makes the session key, and so the Data
/// Protection key), and what it printed until then read for warnings: none on a fresh clone's settings, and none with
/// Redis when the key ring is protected by a certificate.
/// </summary>
public sealed class CleanStartServerTests(MongoServerFixture mongo) : IClassFixture<MongoServerFixture>
{
    [Fact]
    public async Task FreshSettings_StartAndAnswer_WithoutAWarning()
    {
        await using var host = await HostProcess.StartAsync();
        await AskAsync(host);
        AssertNoWarning(host.Output);
    }

    [Fact]
    public async Task WithRedis_AndTheKeyRingProtectedByACertificate_StartAndAnswer_WithoutAWarning()
    {
        await using var redis = await RedisTestServer.StartAsync();
        var database = mongo.NewDatabase("clean-start");
        var (migrated, migrateOutput) = await HostProcess.RunToEndAsync("migrate", $"--ConnectionStrings:Mongo={database}");
        Assert.True(migrated == 0, migrateOutput);
        var folder = Directory.CreateTempSubdirectory("streamingchat-dp-").FullName;
        try
        {
            using var key = RSA.Create(2048);
            var request = new CertificateRequest("CN=StreamingChat Data Protection", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
            var path = Path.Combine(folder, "dataprotection.pfx");
            await File.WriteAllBytesAsync(path, certificate.Export(X509ContentType.Pkcs12, "test-password"));

            await using var host = await HostProcess.StartAsync(
                $"--StreamingChat:Redis:ConnectionString={redis.ConnectionString}",
                $"--ConnectionStrings:Mongo={database}",
                $"--StreamingChat:DataProtection:CertificatePath={path}",
                "--StreamingChat:DataProtection:CertificatePassword=test-password");
            await AskAsync(host);
            AssertNoWarning(host.Output);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task WithRedisButConversationsInMemory_WarnsThatEachInstanceKeepsItsOwnHistory()
    {
        await using var redis = await RedisTestServer.StartAsync();
        await using var host = await HostProcess.StartAsync($"--StreamingChat:Redis:ConnectionString={redis.ConnectionString}");
        await AskAsync(host);
        Assert.Contains("Answers are shared through Redis but conversations are kept in this instance's memory", host.Output, StringComparison.Ordinal);
    }

    private static async Task AskAsync(HostProcess host)
    {
        using var client = new HttpClient { BaseAddress = host.Address, Timeout = TimeSpan.FromSeconds(30) };
        using var content = new StringContent("""{"query":"Hello","chatbotId":"demo","sessionId":"clean-start"}""", Encoding.UTF8, "application/json");
        using var response = await client.PostAsync("/api/chat/query", content);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(response.Headers.Contains("X-Session-Key")); // the Data Protection key was made and used
    }

    private static void AssertNoWarning(string output)
    {
        var warnings = output.Split('\n').Where(l => l.StartsWith("warn:", StringComparison.Ordinal) || l.StartsWith("fail:", StringComparison.Ordinal) || l.StartsWith("crit:", StringComparison.Ordinal)).ToList();
        Assert.True(warnings.Count == 0, "The host warned while starting:\n" + output);
    }
}
