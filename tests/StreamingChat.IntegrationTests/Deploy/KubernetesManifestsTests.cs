using System.Net;
using System.Security.Cryptography;
using StreamingChat.Testing;
using YamlDotNet.RepresentationModel;

namespace StreamingChat.IntegrationTests;

/// <summary>
/// deploy/kubernetes/ read as YAML and checked for what the product relies on: the probes' paths, a preStop that starts
/// the drain, a grace period longer than the drain, selectors and names that meet, and settings the host accepts. No
/// cluster or schema validator can run here; this is the check the test command can make.
/// </summary>
public sealed class KubernetesManifestsTests
{
    private static readonly string Folder = Path.Combine(TestPorts.RepositoryRoot, "deploy", "kubernetes");

    [Fact]
    public void EveryManifest_Parses_AndNamesItsKindAndName_AndTheKustomizationListsOnlyFilesThatExist()
    {
        var files = Directory.GetFiles(Folder, "*.yaml");
        Assert.NotEmpty(files);
        foreach (var file in files)
        {
            var root = Load(Path.GetFileName(file));
            Assert.False(string.IsNullOrEmpty(Scalar(root, "apiVersion")), $"{file}: apiVersion");
            Assert.False(string.IsNullOrEmpty(Scalar(root, "kind")), $"{file}: kind");
        }

        var kustomization = Load("kustomization.yaml");
        foreach (var resource in Sequence(kustomization, "resources").Select(n => ((YamlScalarNode)n).Value!))
        {
            // secret.yaml is made from its example with the real values and never committed.
            var present = resource == "secret.yaml" ? "secret.example.yaml" : resource;
            Assert.True(File.Exists(Path.Combine(Folder, present)), $"kustomization.yaml lists {resource}, which is not there");
            Assert.False(string.IsNullOrEmpty(Scalar(Load(present), "metadata", "name")), $"{present}: metadata.name");
        }
    }

    [Fact]
    public void Deployment_ProbesHealth_DrainsInPreStop_WithAGracePeriodLongerThanTheDrain()
    {
        var deployment = Kind("Deployment");
        var config = Map(Kind("ConfigMap"), "data");
        var pod = Map(deployment, "spec", "template", "spec");
        var container = (YamlMappingNode)Sequence(pod, "containers").Single();

        Assert.Equal("/healthz/live", Scalar(container, "livenessProbe", "httpGet", "path"));
        Assert.Equal("/healthz/ready", Scalar(container, "readinessProbe", "httpGet", "path"));
        var ports = Sequence(container, "ports").Cast<YamlMappingNode>().ToDictionary(p => Scalar(p, "name")!, p => Scalar(p, "containerPort")!);
        Assert.Equal("http", Scalar(container, "livenessProbe", "httpGet", "port"));
        Assert.Equal("http", Scalar(container, "readinessProbe", "httpGet", "port"));
        Assert.Equal("8080", ports["http"]);
        Assert.EndsWith(":8080", Value(config, "ASPNETCORE_URLS"), StringComparison.Ordinal);

        // preStop sends SIGTERM to the host (PID 1), which is what starts the drain, then waits for it to exit.
        var preStop = string.Join(' ', Sequence(container, "lifecycle", "preStop", "exec", "command").Select(n => ((YamlScalarNode)n).Value));
        Assert.Contains("kill -TERM 1", preStop, StringComparison.Ordinal);
        var notice = double.Parse(Value(config, "StreamingChat__Drain__NoticeSeconds"), System.Globalization.CultureInfo.InvariantCulture);
        var drain = double.Parse(Value(config, "StreamingChat__Drain__TimeoutSeconds"), System.Globalization.CultureInfo.InvariantCulture);
        var grace = int.Parse(Scalar(pod, "terminationGracePeriodSeconds")!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(grace >= notice + drain + 10, $"terminationGracePeriodSeconds {grace} leaves no room for a drain of {notice} + {drain} s and 10 s to exit");

        // The configuration and the secret it names are the ones in this folder; health's memory limit is the container's.
        var sources = Sequence(container, "envFrom").Cast<YamlMappingNode>().ToList();
        Assert.Contains(sources, s => Scalar(s, "configMapRef", "name") == Scalar(Kind("ConfigMap"), "metadata", "name"));
        Assert.Contains(sources, s => Scalar(s, "secretRef", "name") == Scalar(Load("secret.example.yaml"), "metadata", "name"));
        Assert.Equal(1L << 30, long.Parse(Value(config, "StreamingChat__Health__MemoryLimitBytes"), System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("1Gi", Scalar(container, "resources", "limits", "memory"));
        Assert.Equal("0", Scalar(deployment, "spec", "strategy", "rollingUpdate", "maxUnavailable"));
    }

    [Fact]
    public void ServiceIngressBudgetAndAutoscaler_PointAtTheDeploymentsPods()
    {
        var deployment = Kind("Deployment");
        var podLabels = Map(deployment, "spec", "template", "metadata", "labels");
        Assert.True(Matches(Map(deployment, "spec", "selector", "matchLabels"), podLabels), "the Deployment's selector does not select its own pods");
        Assert.True(Matches(Map(Kind("Service"), "spec", "selector"), podLabels), "the Service selects no pod of the Deployment");
        Assert.True(Matches(Map(Kind("PodDisruptionBudget"), "spec", "selector", "matchLabels"), podLabels), "the budget covers no pod of the Deployment");

        var service = Kind("Service");
        var port = (YamlMappingNode)Sequence(service, "spec", "ports").Single();
        Assert.Equal("http", Scalar(port, "targetPort"));

        var ingress = Kind("Ingress");
        Assert.Equal("off", Scalar(ingress, "metadata", "annotations", "nginx.ingress.kubernetes.io/proxy-buffering"));
        foreach (var rule in Sequence(ingress, "spec", "rules").Cast<YamlMappingNode>())
        {
            foreach (var path in Sequence(rule, "http", "paths").Cast<YamlMappingNode>())
            {
                Assert.Equal(Scalar(service, "metadata", "name"), Scalar(path, "backend", "service", "name"));
                Assert.Equal(Scalar(port, "name"), Scalar(path, "backend", "service", "port", "name"));
            }
        }

        var autoscaler = Kind("HorizontalPodAutoscaler");
        Assert.Equal("Deployment", Scalar(autoscaler, "spec", "scaleTargetRef", "kind"));
        Assert.Equal(Scalar(deployment, "metadata", "name"), Scalar(autoscaler, "spec", "scaleTargetRef", "name"));
        var minReplicas = int.Parse(Scalar(autoscaler, "spec", "minReplicas")!, System.Globalization.CultureInfo.InvariantCulture);
        var maxUnavailable = int.Parse(Scalar(Kind("PodDisruptionBudget"), "spec", "maxUnavailable")!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(minReplicas > maxUnavailable, "a disruption could take every pod the autoscaler keeps");
    }

    [Fact]
    public async Task TheConfigMapsSettings_AndTheSecretsNames_AreOnesTheHostAccepts()
    {
        var settings = Map(Kind("ConfigMap"), "data").Children
            .Select(p => (Key: ((YamlScalarNode)p.Key).Value!, Value: ((YamlScalarNode)p.Value).Value!))
            .Where(p => !p.Key.StartsWith("ASPNETCORE_", StringComparison.Ordinal) && !p.Key.StartsWith("DOTNET_", StringComparison.Ordinal))
            .Select(p => $"--{p.Key.Replace("__", ":", StringComparison.Ordinal)}={p.Value}")
            .ToList();
        Assert.Contains("--StreamingChat:Drain:TimeoutSeconds=30", settings);
        Assert.Contains("--StreamingChat:ForwardedHeaders:KnownNetworks:0=10.0.0.0/8", settings); // the ingress is another pod

        // The secret's keys, with real-looking values instead of the placeholders (the host would refuse those).
        var secret = Map(Load("secret.example.yaml"), "stringData").Children.Select(p => ((YamlScalarNode)p.Key).Value!).ToList();
        Assert.Contains("StreamingChat__Admin__ApiKeys__0", secret);
        Assert.Contains("StreamingChat__Model__OpenAI__ApiKey", secret);
        Assert.Contains("ConnectionStrings__Redis", secret);
        Assert.Contains("ConnectionStrings__Mongo", secret);
        settings.Add("--StreamingChat:Admin:ApiKeys:0=" + Convert.ToHexString(RandomNumberGenerator.GetBytes(32)));
        settings.Add("--StreamingChat:Model:OpenAI:ApiKey=test-key");

        await using var host = await HostInstance.StartAsync([.. settings]);
        Assert.Equal(HttpStatusCode.OK, (await host.Client.GetAsync("/healthz/ready")).StatusCode);
    }

    private static YamlMappingNode Kind(string kind)
        => Directory.GetFiles(Folder, "*.yaml").Select(f => Load(Path.GetFileName(f))).Single(r => Scalar(r, "kind") == kind);

    private static YamlMappingNode Load(string file)
    {
        var stream = new YamlStream();
        using var reader = new StreamReader(Path.Combine(Folder, file));
        stream.Load(reader);
        return (YamlMappingNode)Assert.Single(stream.Documents).RootNode;
    }

    private static YamlNode? Find(YamlNode node, params string[] path)
    {
        foreach (var key in path)
        {
            if (node is not YamlMappingNode map || !map.Children.TryGetValue(new YamlScalarNode(key), out var next))
            {
                return null;
            }

            node = next;
        }

        return node;
    }

    private static string? Scalar(YamlNode node, params string[] path) => (Find(node, path) as YamlScalarNode)?.Value;

    private static YamlMappingNode Map(YamlNode node, params string[] path)
        => Find(node, path) as YamlMappingNode ?? throw new Xunit.Sdk.XunitException($"no mapping at {string.Join('.', path)}");

    private static IEnumerable<YamlNode> Sequence(YamlNode node, params string[] path)
        => Find(node, path) as YamlSequenceNode ?? throw new Xunit.Sdk.XunitException($"no sequence at {string.Join('.', path)}");

    private static string Value(YamlMappingNode map, string key)
        => ((YamlScalarNode)map.Children[new YamlScalarNode(key)]).Value ?? "";

    private static bool Matches(YamlMappingNode selector, YamlMappingNode labels)
        => selector.Children.Count > 0 && selector.Children.All(p => labels.Children.TryGetValue(p.Key, out var v) && ((YamlScalarNode)v).Value == ((YamlScalarNode)p.Value).Value);
}
