// Stand-ins for cmdlets that live in Microsoft.PowerShell.Commands.Utility/Management/Security,
// which are not on NuGet. Each calls the same Cmdlet/PSHostUserInterface APIs as the real
// cmdlet, so what reaches the wire is SMA's own serialization; details such as Write-Error's
// exception type and FullyQualifiedErrorId differ from the real cmdlets.
using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Management.Automation;
using System.Management.Automation.Host;
using System.Security;
using System.Text;
using System.Threading;

namespace PsrpTestKit;

[Cmdlet(VerbsCommunications.Write, "Output")]
public sealed class WriteOutputCommand : PSCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromRemainingArguments = true)]
    [AllowNull, AllowEmptyCollection]
    public PSObject?[]? InputObject { get; set; }

    [Parameter] public SwitchParameter NoEnumerate { get; set; }

    protected override void ProcessRecord()
    {
        if (InputObject is null) { WriteObject(null); return; }
        if (NoEnumerate.IsPresent && InputObject.Length != 1) { WriteObject(InputObject, false); return; }
        foreach (PSObject? item in InputObject) WriteObject(item, !NoEnumerate.IsPresent);
    }
}

[Cmdlet(VerbsCommunications.Write, "Error", DefaultParameterSetName = "Message")]
public sealed class WriteErrorCommand : PSCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ParameterSetName = "Message")]
    [AllowEmptyString]
    public string Message { get; set; } = "";

    [Parameter(Mandatory = true, ParameterSetName = "Record")] public ErrorRecord? ErrorRecord { get; set; }
    [Parameter(Mandatory = true, ParameterSetName = "Exception")] public Exception? Exception { get; set; }
    [Parameter(ParameterSetName = "Message")][Parameter(ParameterSetName = "Exception")] public ErrorCategory Category { get; set; } = ErrorCategory.NotSpecified;
    [Parameter(ParameterSetName = "Message")][Parameter(ParameterSetName = "Exception")] public string ErrorId { get; set; } = "PsrpTestKit.WriteError";
    [Parameter(ParameterSetName = "Message")][Parameter(ParameterSetName = "Exception")] public object? TargetObject { get; set; }
    [Parameter] public string? RecommendedAction { get; set; }

    protected override void ProcessRecord()
    {
        ErrorRecord record = ErrorRecord ?? new ErrorRecord(Exception ?? new InvalidOperationException(Message), ErrorId, Category, TargetObject);
        if (RecommendedAction is not null) record.ErrorDetails = new ErrorDetails(record.Exception.Message) { RecommendedAction = RecommendedAction };
        WriteError(record);
    }
}

[Cmdlet(VerbsCommunications.Write, "Warning")]
public sealed class WriteWarningCommand : PSCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)][AllowEmptyString] public string Message { get; set; } = "";
    protected override void ProcessRecord() => WriteWarning(Message);
}

[Cmdlet(VerbsCommunications.Write, "Verbose")]
public sealed class WriteVerboseCommand : PSCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)][AllowEmptyString] public string Message { get; set; } = "";
    protected override void ProcessRecord() => WriteVerbose(Message);
}

[Cmdlet(VerbsCommunications.Write, "Debug")]
public sealed class WriteDebugCommand : PSCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)][AllowEmptyString] public string Message { get; set; } = "";
    protected override void ProcessRecord() => WriteDebug(Message);
}

[Cmdlet(VerbsCommunications.Write, "Information")]
public sealed class WriteInformationCommand : PSCmdlet
{
    [Parameter(Mandatory = true, Position = 0)][AllowNull] public object? MessageData { get; set; }
    [Parameter(Position = 1)] public string[] Tags { get; set; } = Array.Empty<string>();
    protected override void ProcessRecord() => WriteInformation(MessageData, Tags);
}

// The real Write-Host writes a HostInformationMessage with the PSHOST tag to the information stream.
[Cmdlet(VerbsCommunications.Write, "Host")]
public sealed class WriteHostCommand : PSCmdlet
{
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromRemainingArguments = true)] public object? Object { get; set; }
    [Parameter] public SwitchParameter NoNewline { get; set; }
    [Parameter] public ConsoleColor? ForegroundColor { get; set; }
    [Parameter] public ConsoleColor? BackgroundColor { get; set; }

    protected override void ProcessRecord()
    {
        var message = new HostInformationMessage
        {
            Message = Object is object[] many ? string.Join(" ", many) : LanguagePrimitives.ConvertTo<string>(Object) ?? "",
            NoNewLine = NoNewline.IsPresent,
        };
        if (ForegroundColor is { } fg) message.ForegroundColor = fg;
        if (BackgroundColor is { } bg) message.BackgroundColor = bg;
        WriteInformation(message, new[] { "PSHOST" });
    }
}

[Cmdlet(VerbsCommunications.Write, "Progress")]
public sealed class WriteProgressCommand : PSCmdlet
{
    [Parameter(Mandatory = true, Position = 0)] public string Activity { get; set; } = "";
    [Parameter(Position = 1)] public string Status { get; set; } = "Processing";
    [Parameter(Position = 2)] public int Id { get; set; }
    [Parameter] public int ParentId { get; set; } = -1;
    [Parameter][ValidateRange(-1, 100)] public int PercentComplete { get; set; } = -1;
    [Parameter] public int SecondsRemaining { get; set; } = -1;
    [Parameter] public string? CurrentOperation { get; set; }
    [Parameter] public SwitchParameter Completed { get; set; }

    protected override void ProcessRecord() => WriteProgress(new ProgressRecord(Id, Activity, Status)
    {
        ParentActivityId = ParentId,
        PercentComplete = PercentComplete,
        SecondsRemaining = SecondsRemaining,
        CurrentOperation = CurrentOperation,
        RecordType = Completed.IsPresent ? ProgressRecordType.Completed : ProgressRecordType.Processing,
    });
}

[Cmdlet(VerbsLifecycle.Start, "Sleep", DefaultParameterSetName = "Seconds")]
public sealed class StartSleepCommand : PSCmdlet, IDisposable
{
    private readonly ManualResetEventSlim _stopped = new(false);
    [Parameter(Position = 0, ParameterSetName = "Seconds")] public double Seconds { get; set; }
    [Parameter(Mandatory = true, ParameterSetName = "Milliseconds")][Alias("ms")] public int Milliseconds { get; set; }

    // A stop (the OutOfProc <Signal>) ends the wait early, as the real cmdlet does.
    protected override void ProcessRecord() => _stopped.Wait(ParameterSetName == "Milliseconds"
        ? TimeSpan.FromMilliseconds(Milliseconds) : TimeSpan.FromSeconds(Seconds));

    protected override void StopProcessing() => _stopped.Set();
    public void Dispose() => _stopped.Dispose();
}

[Cmdlet(VerbsCommon.Get, "Date")]
public sealed class GetDateCommand : PSCmdlet
{
    protected override void ProcessRecord() => WriteObject(DateTime.Now);
}

[Cmdlet(VerbsCommunications.Read, "Host")]
public sealed class ReadHostCommand : PSCmdlet
{
    [Parameter(Position = 0, ValueFromRemainingArguments = true)] public object? Prompt { get; set; }
    [Parameter] public SwitchParameter AsSecureString { get; set; }

    // As ReadConsoleCmdlet.cs: no prompt → ReadLine / ReadLineAsSecureString (mi 11 / 12);
    // a prompt → Prompt with one field (mi 23).
    protected override void ProcessRecord()
    {
        string? prompt = Prompt is object[] many ? string.Join(" ", many) : Prompt?.ToString();
        if (string.IsNullOrEmpty(prompt))
        {
            WriteObject(AsSecureString.IsPresent ? Host.UI.ReadLineAsSecureString() : Host.UI.ReadLine());
            return;
        }
        var field = new FieldDescription(prompt);
        field.SetParameterType(AsSecureString.IsPresent ? typeof(SecureString) : typeof(string));
        Dictionary<string, PSObject>? answers = Host.UI.Prompt(string.Empty, string.Empty, new Collection<FieldDescription> { field });
        if (answers is not null) foreach (PSObject value in answers.Values) WriteObject(value);
    }
}

[Cmdlet(VerbsCommon.Get, "Credential")]
public sealed class GetCredentialCommand : PSCmdlet
{
    [Parameter(Position = 0)] public string? UserName { get; set; }
    [Parameter] public string Title { get; set; } = "PowerShell credential request";
    [Parameter] public string Message { get; set; } = "Enter your credentials.";

    // PromptForCredential with four arguments (mi 24).
    protected override void ProcessRecord() =>
        WriteObject(Host.UI.PromptForCredential(Title, Message, UserName ?? string.Empty, string.Empty));
}

// No formatting engine here: each object becomes its string form, joined by newlines.
[Cmdlet(VerbsData.Out, "String")]
public sealed class OutStringCommand : PSCmdlet
{
    private readonly StringBuilder _text = new();
    [Parameter(ValueFromPipeline = true)] public PSObject? InputObject { get; set; }
    [Parameter] public SwitchParameter Stream { get; set; }

    protected override void ProcessRecord()
    {
        if (InputObject is null) return;
        string line = InputObject.ToString();
        if (Stream.IsPresent) WriteObject(line);
        else _text.Append(line).Append('\n');
    }

    protected override void EndProcessing()
    {
        if (!Stream.IsPresent) WriteObject(_text.ToString());
    }
}

[Cmdlet(VerbsData.ConvertTo, "SecureString")]
public sealed class ConvertToSecureStringCommand : PSCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)] public string String { get; set; } = "";
    [Parameter] public SwitchParameter AsPlainText { get; set; }
    [Parameter] public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        if (!AsPlainText.IsPresent) throw new PSArgumentException("this stand-in converts -AsPlainText only");
        var secure = new SecureString();
        foreach (char c in String) secure.AppendChar(c);
        secure.MakeReadOnly();
        WriteObject(secure);
    }
}

[Cmdlet(VerbsData.ConvertFrom, "SecureString")]
public sealed class ConvertFromSecureStringCommand : PSCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)] public SecureString? SecureString { get; set; }
    [Parameter] public SwitchParameter AsPlainText { get; set; }

    protected override void ProcessRecord()
    {
        if (!AsPlainText.IsPresent) throw new PSArgumentException("this stand-in converts -AsPlainText only");
        WriteObject(new System.Net.NetworkCredential(string.Empty, SecureString).Password);
    }
}

// Forwards an engine event to the client (USER_EVENT), as Register-EngineEvent -Forward + New-Event do.
[Cmdlet(VerbsCommunications.Send, "TestEvent")]
public sealed class SendTestEventCommand : PSCmdlet
{
    [Parameter(Mandatory = true, Position = 0)] public string SourceIdentifier { get; set; } = "";
    [Parameter(Position = 1)] public PSObject? MessageData { get; set; }

    protected override void ProcessRecord()
    {
        Events.SubscribeEvent(null, null, SourceIdentifier, null, (ScriptBlock?)null, true, true);
        Events.GenerateEvent(SourceIdentifier, this, Array.Empty<object>(), MessageData);
    }
}

// Measure-Object, counting only: the server runs `Get-Command … | Measure-Object | Select-Object Count`
// to answer GET_COMMAND_METADATA (MS-PSRP 3.2.5.4.x), and SMA alone has neither cmdlet.
[Cmdlet(VerbsDiagnostic.Measure, "Object")]
public sealed class MeasureObjectCommand : PSCmdlet
{
    [Parameter(ValueFromPipeline = true)] public PSObject? InputObject { get; set; }
    private int _count;

    protected override void ProcessRecord()
    {
        if (InputObject is not null) _count++;
    }

    protected override void EndProcessing()
    {
        var result = new PSObject();
        result.TypeNames.Insert(0, "Microsoft.PowerShell.Commands.GenericMeasureInfo");
        result.Properties.Add(new PSNoteProperty("Count", _count));
        WriteObject(result);
    }
}

// Select-Object -Property NAME…: a new object with those properties copied, typed "Selected.<type>" as the real cmdlet does.
[Cmdlet(VerbsCommon.Select, "Object")]
public sealed class SelectObjectCommand : PSCmdlet
{
    [Parameter(ValueFromPipeline = true)] public PSObject? InputObject { get; set; }
    [Parameter(Position = 0)] public object[]? Property { get; set; }

    protected override void ProcessRecord()
    {
        if (InputObject is null) return;
        if (Property is null || Property.Length == 0) { WriteObject(InputObject); return; }
        var result = new PSObject();
        result.TypeNames.Clear();
        if (InputObject.TypeNames.Count > 0) result.TypeNames.Add("Selected." + InputObject.TypeNames[0]);
        foreach (object p in Property)
        {
            string name = p?.ToString() ?? throw new PSArgumentException("this stand-in selects properties by name only");
            result.Properties.Add(new PSNoteProperty(name, InputObject.Properties[name]?.Value));
        }
        WriteObject(result);
    }
}
