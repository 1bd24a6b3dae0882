using System.Globalization;
using System.Text;
using System.Text.Json;

namespace StreamingChat.IntegrationTests;

/// <summary>
/// docs/HTTP-API.md, written from the OpenAPI document the sample host serves: every operation by its tag, with its
/// parameters, body, answers and refusals, then every body's fields. The contract is written once, in the code.
/// </summary>
internal static class HttpApiMarkdown
{
    public static string Render(JsonElement document)
    {
        var md = new StringBuilder();
        md.Append("""
            # The HTTP contract

            Generated from the OpenAPI document the service serves at `/openapi/v1.json` (behind the admin key with
            `StreamingChat:Admin:ProtectReads`), which is generated from the endpoints' own types: each handler's return type
            lists the answers and refusals it gives. Do not edit this page: `STREAMINGCHAT_WRITE_DOCS=1 bash eng/test.sh`
            rewrites it, and a test fails while it differs from the document. In Development the host also serves a page to
            read and try the API at `/api-reference`.

            Every refusal is RFC 9457 problem details (`application/problem+json`) with a stable `code`; `invalid_request`
            carries an `errors` map of field to messages. A session or answer that is not the caller's gets the same `404` as
            one that does not exist. Event streams send `id:` last in each event, heartbeats as comment lines, and resume
            from `Last-Event-ID`.

            """);
        var paths = document.GetProperty("paths");
        var operations = paths.EnumerateObject()
            .SelectMany(path => path.Value.EnumerateObject()
                .Where(op => op.Name != "head" || !path.Value.TryGetProperty("get", out _))
                .Select(op => (Path: path.Name, Method: op.Name, Operation: op.Value)))
            .ToList();
        var tags = document.TryGetProperty("tags", out var declared)
            ? declared.EnumerateArray().Select(t => t.GetProperty("name").GetString()!).ToList()
            : [];
        tags.AddRange(operations.Select(o => Tag(o.Operation)).Where(t => !tags.Contains(t)).Distinct());
        foreach (var tag in tags)
        {
            md.Append(CultureInfo.InvariantCulture, $"\n## {tag}\n");
            foreach (var (path, method, operation) in operations.Where(o => Tag(o.Operation) == tag))
            {
                WriteOperation(md, paths.GetProperty(path), path, method, operation);
            }
        }

        md.Append("\n## Bodies\n");
        foreach (var schema in document.GetProperty("components").GetProperty("schemas").EnumerateObject())
        {
            WriteSchema(md, schema.Name, schema.Value);
        }

        return md.ToString().ReplaceLineEndings("\n");
    }

    private static string Tag(JsonElement operation)
        => operation.TryGetProperty("tags", out var tags) && tags.GetArrayLength() > 0 ? tags[0].GetString()! : "Other";

    private static void WriteOperation(StringBuilder md, JsonElement pathItem, string path, string method, JsonElement operation)
    {
        var methods = method.ToUpperInvariant() + (method == "get" && pathItem.TryGetProperty("head", out _) ? ", HEAD" : "");
        md.Append(CultureInfo.InvariantCulture, $"\n### {methods} `{path}`\n\n");
        if (operation.TryGetProperty("summary", out var summary))
        {
            md.Append(summary.GetString()).Append(".\n\n");
        }

        if (operation.TryGetProperty("parameters", out var parameters) && parameters.GetArrayLength() > 0)
        {
            md.Append("| parameter | in | required | type |\n| --- | --- | --- | --- |\n");
            foreach (var parameter in parameters.EnumerateArray())
            {
                var required = parameter.TryGetProperty("required", out var r) && r.GetBoolean();
                md.Append(CultureInfo.InvariantCulture, $"| `{parameter.GetProperty("name").GetString()}` | {parameter.GetProperty("in").GetString()} | {(required ? "yes" : "no")} | {TypeOf(parameter.GetProperty("schema"))} |\n");
            }

            md.Append('\n');
        }

        if (operation.TryGetProperty("requestBody", out var body))
        {
            var required = body.TryGetProperty("required", out var r) && r.GetBoolean();
            foreach (var content in body.GetProperty("content").EnumerateObject())
            {
                md.Append(CultureInfo.InvariantCulture, $"Body ({(required ? "required" : "optional")}): `{content.Name}`, {TypeOf(content.Value.GetProperty("schema"))}.\n\n");
            }
        }

        md.Append("| status | media type | body |\n| --- | --- | --- |\n");
        foreach (var response in operation.GetProperty("responses").EnumerateObject())
        {
            var contents = response.Value.TryGetProperty("content", out var c) ? c.EnumerateObject().ToList() : [];
            if (contents.Count == 0)
            {
                md.Append(CultureInfo.InvariantCulture, $"| {response.Name} | | |\n");
            }

            foreach (var content in contents)
            {
                md.Append(CultureInfo.InvariantCulture, $"| {response.Name} | `{content.Name}` | {(content.Value.TryGetProperty("schema", out var s) ? TypeOf(s) : "")} |\n");
            }
        }

        if (operation.TryGetProperty("description", out var description) && description.GetString() is { Length: > 0 } text)
        {
            md.Append('\n').Append(text.Replace("Answers:\n", "What it answers:\n", StringComparison.Ordinal)).Append('\n');
        }
    }

    private static void WriteSchema(StringBuilder md, string name, JsonElement schema)
    {
        md.Append(CultureInfo.InvariantCulture, $"\n### {name}\n\n");
        if (!schema.TryGetProperty("properties", out var properties))
        {
            md.Append(CultureInfo.InvariantCulture, $"{TypeOf(schema)}.\n");
            return;
        }

        var required = schema.TryGetProperty("required", out var r) ? r.EnumerateArray().Select(e => e.GetString()).ToHashSet() : [];
        md.Append("| field | type | required |\n| --- | --- | --- |\n");
        foreach (var property in properties.EnumerateObject())
        {
            md.Append(CultureInfo.InvariantCulture, $"| `{property.Name}` | {TypeOf(property.Value)} | {(required.Contains(property.Name) ? "yes" : "no")} |\n");
        }
    }

    /// <summary>A schema in words: a body's name (linked), <c>array of …</c>, or the JSON type with its format and whether it may be null.</summary>
    private static string TypeOf(JsonElement schema)
    {
        if (schema.TryGetProperty("$ref", out var reference))
        {
            var name = reference.GetString()!.Split('/')[^1];
            return $"[{name}](#{name.ToLowerInvariant()})";
        }

        var types = schema.TryGetProperty("type", out var type)
            ? type.ValueKind == JsonValueKind.Array ? type.EnumerateArray().Select(t => t.GetString()!).ToList() : [type.GetString()!]
            : [];
        var nullable = types.Remove("null");
        if (types.Count > 1 && types.Contains("string") && schema.TryGetProperty("pattern", out _))
        {
            types.Remove("string"); // a number also read from a string
        }

        var words = types.Count == 0 ? "any" : string.Join(" or ", types.Select(t => t switch
        {
            "array" when schema.TryGetProperty("items", out var items) => "array of " + TypeOf(items),
            _ when schema.TryGetProperty("format", out var format) => $"{t} ({format.GetString()})",
            _ => t,
        }));
        return nullable ? words + " or null" : words;
    }
}
