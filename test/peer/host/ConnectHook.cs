// Connect from another client (WSMan Connect + connectXml) for the stdio server.
// PowerShell's OutOfProc server has no connect path: only its WSMan plugin calls
// the internal ServerRemoteSession.ExecuteConnect. This runs the same mediator as
// StdIOProcessMediator.Run, but keeps a handle on the live ServerRemoteSession
// (through the crypto helper, which every session registers itself with) and
// answers a side-channel request by calling ExecuteConnect by reflection.
//
// The request is an ordinary Data line for a reserved PSGuid:
//   <Data Stream='Default' PSGuid='CONNECT_GUID'>base64(connectXml)</Data>
// and the answer one line, on stdout like all protocol lines:
//   <HarnessConnectResponse>base64(connectResponseXml)</HarnessConnectResponse>
//   <HarnessConnectError>message</HarnessConnectError>
// A plain SMA server (pwsh -s, or this host with --no-connect-hook) answers the same
// request with <DataAck PSGuid='CONNECT_GUID' />, because Data for a PSGuid that has
// no command is acknowledged and dropped: so a front end learns that the engine
// cannot connect, and the server and its session live on.
using System;
using System.IO;
using System.Management.Automation;
using System.Reflection;
using System.Security;

namespace PsrpPeer;

internal static class ConnectHook
{
    /// <summary>Must equal HARNESS_CONNECT_GUID in src/server/harness-connect.ts.</summary>
    public const string ConnectGuid = "7073726d-6861-726e-6573-73636f6e6e63";

    private const BindingFlags Inst = BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public;
    private const string Ns = "System.Management.Automation.Remoting.Server.";

    /// <summary>StdIOProcessMediator.Run, with the connect hook on stdin. Returns only by Environment.Exit.</summary>
    public static void RunStdio(string? init, string? config, bool combineErrOut)
    {
        Assembly sma = typeof(PSObject).Assembly;
        Type baseType = sma.GetType(Ns + "OutOfProcessMediatorBase", throwOnError: true)!;
        Type stdio = sma.GetType(Ns + "StdIOProcessMediator", throwOnError: true)!;
        Type cryptoType = sma.GetType("System.Management.Automation.Internal.PSRemotingCryptoHelperServer", throwOnError: true)!;
        Type sessionType = sma.GetType("System.Management.Automation.Remoting.ServerRemoteSession", throwOnError: true)!;

        FieldInfo inField = Need(baseType.GetField("originalStdIn", Inst), "OutOfProcessMediatorBase.originalStdIn");
        FieldInfo outField = Need(baseType.GetField("originalStdOut", Inst), "OutOfProcessMediatorBase.originalStdOut");
        MethodInfo start = Need(baseType.GetMethod("Start", Inst, new[] { typeof(string), cryptoType, typeof(string), typeof(string), typeof(string) }),
            "OutOfProcessMediatorBase.Start(string, PSRemotingCryptoHelperServer, string, string, string)");
        PropertyInfo sessionProp = Need(cryptoType.GetProperty("Session", Inst), "PSRemotingCryptoHelperServer.Session");
        MethodInfo execute = Need(sessionType.GetMethod("ExecuteConnect", Inst, new[] { typeof(byte[]), typeof(byte[]).MakeByRefType() }),
            "ServerRemoteSession.ExecuteConnect(byte[], out byte[])");
        ConstructorInfo ctor = Need(stdio.GetConstructor(Inst, new[] { typeof(bool) }), "StdIOProcessMediator(bool)");

        // The constructor takes over the console streams (as Run does); Start's parameter
        // order is (initialCommand, cryptoHelper, workingDirectory, configurationName, configurationFile).
        object mediator = ctor.Invoke(new object[] { combineErrOut });
        object crypto = Activator.CreateInstance(cryptoType, nonPublic: true)!;
        object writer = outField.GetValue(mediator)!;
        MethodInfo writeLine = Need(writer.GetType().GetMethod("WriteLine", new[] { typeof(string) }), "OutOfProcessTextWriter.WriteLine");

        inField.SetValue(mediator, new HookReader((TextReader)inField.GetValue(mediator)!, base64 =>
        {
            string reply;
            try
            {
                object session = sessionProp.GetValue(crypto) ?? throw new InvalidOperationException("no PowerShell session is open in this process");
                if (!sessionType.IsInstanceOfType(session)) throw new InvalidOperationException($"the session is a {session.GetType().Name}");
                object?[] a = { Convert.FromBase64String(base64), null };
                execute.Invoke(session, a);
                reply = $"<HarnessConnectResponse>{Convert.ToBase64String((byte[])a[1]!)}</HarnessConnectResponse>";
            }
            catch (Exception e)
            {
                Exception shown = e is TargetInvocationException { InnerException: { } inner } ? inner : e;
                string text = shown.Message.Replace('\r', ' ').Replace('\n', ' ');
                reply = $"<HarnessConnectError>{SecurityElement.Escape(text)}</HarnessConnectError>";
            }
            writeLine.Invoke(writer, new object[] { reply });
        }));
        start.Invoke(mediator, new object?[] { init, crypto, null, null, config });
    }

    private static T Need<T>(T? member, string what) where T : class =>
        member ?? throw new MissingMemberException($"SMA changed: {what} is missing (the connect hook needs SMA 7.6.x)");

    /// <summary>Takes the connect requests out of stdin; every other line passes through.</summary>
    private sealed class HookReader(TextReader inner, Action<string> onConnect) : TextReader
    {
        private const string EndTag = "</Data>";

        public override string? ReadLine()
        {
            while (true)
            {
                string? line = inner.ReadLine();
                if (line is null || !line.StartsWith("<Data ", StringComparison.Ordinal) || !line.Contains($"PSGuid='{ConnectGuid}'", StringComparison.Ordinal))
                    return line;
                int open = line.IndexOf('>') + 1;
                int close = line.LastIndexOf(EndTag, StringComparison.Ordinal);
                onConnect(close > open ? line[open..close] : "");
            }
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
