// Test-only host: runs PowerShell's own PSRP server engine (System.Management.Automation)
// without pwsh, in the OutOfProc framing.
//   dotnet PsrpPeer.dll [--stdio] [--init SCRIPT] [--config FILE.pssc]   stdin/stdout, exactly what `pwsh -s` runs
//   dotnet PsrpPeer.dll --ssh [...]                                      what `pwsh -sshs` runs (errors in-band)
//   dotnet PsrpPeer.dll --socket PATH                                    listens on a Unix socket, one client at a time
// In stdio and ssh modes the server also answers Connect requests from a WSMan front
// end (ConnectHook.cs); --no-connect-hook runs StdIOProcessMediator.Run untouched,
// which is what `pwsh -s` does.
//   dotnet PsrpPeer.dll --client-trace --socket PATH --scenario NAME      PowerShell's own CLIENT (TraceClient.cs)
// In stdio modes stdout IS the protocol channel: nothing may be written to it before the mediator runs.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Remoting;
using System.Reflection;
using System.Threading;

namespace PsrpPeer;

internal static class Program
{
    private const string MediatorType = "System.Management.Automation.Remoting.Server.StdIOProcessMediator";

    private static int Main(string[] args)
    {
        if (args.Contains("--client-trace"))
        {
            string? socket = Option(args, "--socket"), scenario = Option(args, "--scenario");
            if (socket is null || scenario is null) { Console.Error.WriteLine("--client-trace needs --socket PATH and --scenario NAME"); return 64; }
            PrepareEnvironment();
            try { return TraceClient.Run(Path.GetFullPath(socket), scenario); }
            catch (Exception e) { Console.Error.WriteLine(e); return 70; }
        }
        string mode = args.FirstOrDefault(a => a is "--stdio" or "--ssh" or "--socket") ?? "--stdio";
        string? init = Option(args, "--init");
        string? config = Option(args, "--config");
        bool hook = !args.Contains("--no-connect-hook");
        PrepareEnvironment();
        try
        {
            switch (mode)
            {
                case "--stdio" or "--ssh" when hook: ConnectHook.RunStdio(init, config, combineErrOut: mode == "--ssh"); return 0;
                case "--stdio": RunStdio(init, config, combineErrOut: false); return 0;
                case "--ssh": RunStdio(init, config, combineErrOut: true); return 0;
                default:
                    string? path = Option(args, "--socket");
                    if (path is null) { Console.Error.WriteLine("--socket needs a PATH"); return 64; }
                    return RunSocket(Path.GetFullPath(path));
            }
        }
        catch (Exception e)
        {
            Console.Error.WriteLine(e is TargetInvocationException { InnerException: { } inner } ? inner : e);
            return 70;
        }
    }

    // What the server reads from the environment: no telemetry, no diagnostics IPC socket
    // in /tmp, the module analysis cache out of $HOME, and a HOME that exists (the server
    // sets the location of each runspace to it).
    private static void PrepareEnvironment()
    {
        Default("POWERSHELL_TELEMETRY_OPTOUT", "1");
        Default("POWERSHELL_DIAGNOSTICS_OPTOUT", "1");
        Default("POWERSHELL_UPDATECHECK", "Off");
        string tmp = Path.Combine(Path.GetTempPath(), "psrp-peer-" + Environment.UserName);
        Directory.CreateDirectory(tmp);
        Default("PSModuleAnalysisCachePath", Path.Combine(tmp, "ModuleAnalysisCache"));
        string? home = Environment.GetEnvironmentVariable("HOME");
        if (string.IsNullOrEmpty(home) || !Directory.Exists(home)) Environment.SetEnvironmentVariable("HOME", tmp);
    }

    private static void Default(string name, string value)
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(name))) Environment.SetEnvironmentVariable(name, value);
    }

    private static void RunStdio(string? init, string? config, bool combineErrOut)
    {
        Type mediator = typeof(PSObject).Assembly.GetType(MediatorType, throwOnError: true)!;
        MethodInfo run = mediator.GetMethod("Run", BindingFlags.Static | BindingFlags.NonPublic)
            ?? throw new MissingMethodException(MediatorType, "Run");
        var byName = new Dictionary<string, object?>
        {
            ["initialCommand"] = init,
            // Non-null makes the server run Set-Location, which lives in the absent Management module.
            ["workingDirectory"] = null,
            ["configurationName"] = null,
            ["configurationFile"] = config,
            ["combineErrOutStream"] = combineErrOut,
        };
        ParameterInfo[] ps = run.GetParameters();
        if (ps.Length != byName.Count || ps.Any(p => !byName.ContainsKey(p.Name!)))
            throw new MissingMethodException($"{MediatorType}.Run changed: ({string.Join(", ", ps.Select(p => p.Name))})");
        // Returns only by Environment.Exit: stdin EOF ends the process with exit code 4000.
        run.Invoke(null, ps.Select(p => byName[p.Name!]).ToArray());
    }

    private static int RunSocket(string path)
    {
        // Public API, no reflection: PowerShell's named-pipe server, which on Unix is a
        // Unix domain socket. .NET takes a rooted pipe name as the socket path. It serves
        // one client at a time and re-arms after each disconnect. Failures are swallowed
        // inside SMA, so check that the socket appeared.
        if (File.Exists(path)) File.Delete(path);
        RemoteSessionNamedPipeServer.CreateCustomNamedPipeServer(path);
        for (int i = 0; i < 100 && !File.Exists(path); i++) Thread.Sleep(50);
        if (!File.Exists(path)) { Console.Error.WriteLine($"no listener at {path}"); return 69; }
        Console.Out.WriteLine($"LISTENING {path}");
        Console.Out.Flush();
        // Ends when stdin closes, so a parent that dies takes the listener with it.
        try { while (Console.In.ReadLine() is not null) { } } catch (IOException) { }
        try { File.Delete(path); } catch (IOException) { }
        return 0;
    }

    private static string? Option(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
