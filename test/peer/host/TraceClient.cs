// PowerShell's OWN client (the same SMA 7.6.9) running the golden-trace scenarios
// against a server on a Unix socket (the host's --socket mode, usually behind the
// recording proxy of test/golden/). Public API only: RunspaceFactory with a
// NamedPipeConnectionInfo, whose pipe name, when rooted, is the socket path on Unix.
//   PsrpPeer --client-trace --socket PATH --scenario NAME
// Prints what the scenario produced, one line per item, so the recorder can check
// that it ran as meant. The host declares a UI without a raw UI, like psremote's.
using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Globalization;
using System.Management.Automation;
using System.Management.Automation.Host;
using System.Management.Automation.Runspaces;
using System.Security;
using System.Threading;

namespace PsrpPeer;

internal static class TraceClient
{
    public static readonly string[] Scenarios = { "open-close", "output", "streams", "input", "host-call", "stop", "pool-calls" };

    public static int Run(string socket, string scenario)
    {
        if (Array.IndexOf(Scenarios, scenario) < 0)
        {
            Console.Error.WriteLine($"unknown scenario {scenario}: {string.Join(", ", Scenarios)}");
            return 64;
        }
        var info = new NamedPipeConnectionInfo(socket, 30_000);
        using RunspacePool pool = RunspaceFactory.CreateRunspacePool(1, 1, info, new TraceHost());
        pool.Open();
        switch (scenario)
        {
            case "output":
                Print(Invoke(pool, "1..3 | ForEach-Object { $_ * 2 }"));
                break;
            case "streams":
                Print(Invoke(pool, Script.Streams));
                break;
            case "input":
                Print(Invoke(pool, "$input | ForEach-Object { $_ + 1 }", new object[] { 1, 2, 3 }));
                break;
            case "host-call":
                Print(Invoke(pool, "$x = Read-Host; \"got $x\""));
                break;
            case "stop":
                Stop(pool);
                break;
            case "pool-calls":
                Console.WriteLine($"SetMaxRunspaces {pool.SetMaxRunspaces(3)}");
                Console.WriteLine($"GetAvailableRunspaces {pool.GetAvailableRunspaces()}");
                break;
        }
        pool.Close();
        return 0;
    }

    private static class Script
    {
        public const string Streams =
            "Write-Output o; Write-Error e; Write-Warning w; Write-Verbose v -Verbose; Write-Debug d -Debug; " +
            "Write-Information i; Write-Progress -Activity a -Status s";
    }

    private static IEnumerable<string> Invoke(RunspacePool pool, string script, object[]? input = null)
    {
        using PowerShell ps = PowerShell.Create();
        ps.RunspacePool = pool;
        ps.AddScript(script);
        Collection<PSObject> output = input is null ? ps.Invoke() : ps.Invoke(input);
        var lines = new List<string>();
        foreach (PSObject o in output) lines.Add($"output {o}");
        foreach (ErrorRecord e in ps.Streams.Error) lines.Add($"error {e}");
        foreach (WarningRecord w in ps.Streams.Warning) lines.Add($"warning {w.Message}");
        foreach (VerboseRecord v in ps.Streams.Verbose) lines.Add($"verbose {v.Message}");
        foreach (DebugRecord d in ps.Streams.Debug) lines.Add($"debug {d.Message}");
        foreach (InformationRecord i in ps.Streams.Information) lines.Add($"information {i.MessageData}");
        foreach (ProgressRecord p in ps.Streams.Progress) lines.Add($"progress {p.Activity}");
        lines.Add($"state {ps.InvocationStateInfo.State}");
        return lines;
    }

    private static void Stop(RunspacePool pool)
    {
        using PowerShell ps = PowerShell.Create();
        ps.RunspacePool = pool;
        ps.AddScript("'started'; Start-Sleep -Seconds 30; 'never'");
        var output = new PSDataCollection<PSObject>();
        using var started = new ManualResetEventSlim();
        output.DataAdded += (_, _) => started.Set();
        IAsyncResult ar = ps.BeginInvoke<PSObject, PSObject>(null, output);
        if (!started.Wait(30_000)) throw new TimeoutException("the pipeline wrote nothing in 30 s");
        ps.Stop();
        try { ps.EndInvoke(ar); } catch (RuntimeException) { } // stopped: a RemoteException here
        Console.WriteLine($"output {string.Join(",", output)}");
        Console.WriteLine($"state {ps.InvocationStateInfo.State}");
    }

    private static void Print(IEnumerable<string> lines)
    {
        foreach (string line in lines) Console.WriteLine(line);
    }

    /// <summary>A host with a UI and no raw UI; ReadLine answers "typed".</summary>
    private sealed class TraceHost : PSHost
    {
        private readonly TraceUI _ui = new();
        public override string Name => "TraceHost";
        public override Version Version => new(1, 0);
        public override Guid InstanceId { get; } = Guid.NewGuid();
        public override PSHostUserInterface UI => _ui;
        public override CultureInfo CurrentCulture => CultureInfo.InvariantCulture;
        public override CultureInfo CurrentUICulture => CultureInfo.InvariantCulture;
        public override void SetShouldExit(int exitCode) { }
        public override void EnterNestedPrompt() => throw new NotSupportedException();
        public override void ExitNestedPrompt() => throw new NotSupportedException();
        public override void NotifyBeginApplication() { }
        public override void NotifyEndApplication() { }
    }

    private sealed class TraceUI : PSHostUserInterface
    {
        public override PSHostRawUserInterface? RawUI => null;
        public override string ReadLine() => "typed";
        public override SecureString ReadLineAsSecureString() => throw new NotSupportedException();
        public override void Write(string value) { }
        public override void Write(ConsoleColor foregroundColor, ConsoleColor backgroundColor, string value) { }
        public override void WriteLine(string value) { }
        public override void WriteErrorLine(string value) { }
        public override void WriteDebugLine(string message) { }
        public override void WriteProgress(long sourceId, ProgressRecord record) { }
        public override void WriteVerboseLine(string message) { }
        public override void WriteWarningLine(string message) { }
        public override Dictionary<string, PSObject> Prompt(string caption, string message, Collection<FieldDescription> descriptions) => throw new NotSupportedException();
        public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName) => throw new NotSupportedException();
        public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName, PSCredentialTypes allowedCredentialTypes, PSCredentialUIOptions options) => throw new NotSupportedException();
        public override int PromptForChoice(string caption, string message, Collection<ChoiceDescription> choices, int defaultChoice) => throw new NotSupportedException();
    }
}
