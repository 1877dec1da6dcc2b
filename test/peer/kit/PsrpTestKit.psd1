@{
    RootModule           = 'PsrpTestKit.dll'
    ModuleVersion        = '0.1.0'
    GUID                 = '6f1d3c2a-0b8e-4f43-9a51-2c7e8d9b4a10'
    Author               = 'psremote tests'
    Description          = 'Stand-ins for the Utility/Management/Security cmdlets that System.Management.Automation alone lacks.'
    CompatiblePSEditions = @('Core')
    CmdletsToExport      = @('Write-Output', 'Write-Error', 'Write-Warning', 'Write-Verbose', 'Write-Debug',
                             'Write-Information', 'Write-Host', 'Write-Progress', 'Start-Sleep', 'Get-Date',
                             'Read-Host', 'Get-Credential', 'Out-String', 'ConvertTo-SecureString',
                             'ConvertFrom-SecureString', 'Send-TestEvent', 'Measure-Object', 'Select-Object')
    FunctionsToExport    = @()
    AliasesToExport      = @()
    VariablesToExport    = @()
}
