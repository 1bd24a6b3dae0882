using System.Diagnostics;
using System.Text;

namespace StreamingChat.Testing;

/// <summary>A server program started for a test, with what it printed kept for failure messages, and killed at the end.</summary>
internal sealed class ServerProcess : IDisposable
{
    private readonly StringBuilder _output = new();

    private ServerProcess(Process process)
    {
        Process = process;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Kill();
    }

    public Process Process { get; }

    public string Output { get { lock (_output) { return _output.ToString(); } } }

    public bool HasExited => Process.HasExited;

    public event Action<string>? Line;

    public static ServerProcess Start(string fileName, IEnumerable<string> args)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        return new ServerProcess(Process.Start(info) ?? throw new InvalidOperationException("Could not start " + fileName));
    }

    public void Kill()
    {
        try
        {
            if (!Process.HasExited)
            {
                Process.Kill(entireProcessTree: true);
                Process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    public void Dispose()
    {
        Kill();
        Process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }

        Line?.Invoke(line);
    }
}
