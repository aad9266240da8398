# procall.msteams ucserver probe v1
# Copyright (c) procall.msteams contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Reads a host for the procall.msteams.ucserver role in one WinRM round trip: the UCServer
# service (state, binary path, the account it runs as) and msteams.cfg (exists, is a folder,
# readable, content), run by ansible.windows.win_powershell from the role's actions
# procall.msteams.ucserver_read and ucserver_plan. It changes nothing; SupportsShouldProcess
# lets win_powershell run it in check mode too. It writes to no stream: everything goes to
# $Ansible.Result, the file's content (it holds the client secret) only there, in base64.
# The decisions (which install dir counts, what a missing or unreadable file means) are made on
# the controller (module_utils/_ucserver_plan.py), which checks the path this script read.
# The first line is the marker the controller and the test simulator know this version by.
[CmdletBinding(SupportsShouldProcess)]
param (
    [Parameter(Mandatory = $true)]
    [String]
    $ServiceName,

    # The role's ucserver_install_dir; empty: the folder of the service's executable.
    [String]
    $InstallDir = '',

    [Parameter(Mandatory = $true)]
    [String]
    $DefaultInstallDir
)

$ErrorActionPreference = 'Stop'
$Ansible.Changed = $false

function Get-InnerMessage {
    param ([Exception]$Exception)
    # A .NET method called from PowerShell wraps its exception in a MethodInvocationException.
    while ($Exception.InnerException) {
        $Exception = $Exception.InnerException
    }
    $Exception.Message
}

# The name is a plain name (checked by the role: no \ / : * ? " < > |); a quote is escaped for WQL.
$filter = "Name='{0}'" -f $ServiceName.Replace("'", "\'")
$service = @(Get-CimInstance -ClassName Win32_Service -Filter $filter) | Select-Object -First 1

$dir = $InstallDir
if (-not $dir -and $service -and $service.PathName) {
    # Win32_Service.PathName: the executable, quoted or not, then any arguments.
    $binary = $service.PathName.Trim()
    if ($binary.StartsWith('"')) {
        $end = $binary.IndexOf('"', 1)
        $exe = if ($end -gt 0) { $binary.Substring(1, $end - 1) } else { $binary.Substring(1) }
    }
    elseif ($binary -match '^(.+?\.exe)(\s|$)') {
        $exe = $Matches[1]
    }
    else {
        $exe = $binary.Split(' ')[0]
    }
    if ($exe.Contains('\')) {
        $dir = $exe.Substring(0, $exe.LastIndexOf('\'))
    }
}
if (-not $dir) {
    $dir = $DefaultInstallDir
}
$configPath = $dir.TrimEnd('\') + '\config\msteams.cfg'

$cfgExists = $false
$cfgIsDir = $false
$content = $null
$readError = $null
try {
    $item = Get-Item -LiteralPath $configPath -Force
    $cfgExists = $true
    $cfgIsDir = [bool]$item.PSIsContainer
    if (-not $cfgIsDir) {
        try {
            $content = [Convert]::ToBase64String([IO.File]::ReadAllBytes($configPath))
        }
        catch {
            $readError = Get-InnerMessage -Exception $_.Exception
        }
    }
}
catch [Management.Automation.ItemNotFoundException], [Management.Automation.DriveNotFoundException] {
    $cfgExists = $false
}
catch {
    # Not even its attributes can be read (a folder the connecting user may not list): it may exist.
    $cfgExists = $true
    $readError = Get-InnerMessage -Exception $_.Exception
}

$Ansible.Result = @{
    probe = 'procall.msteams ucserver probe v1'
    service_exists = [bool]$service
    service_name = if ($service) { $service.Name } else { $null }
    service_state = if ($service) { $service.State } else { $null }
    service_path = if ($service) { $service.PathName } else { $null }
    service_account = if ($service) { $service.StartName } else { $null }
    install_dir = $dir
    install_dir_exists = Test-Path -LiteralPath $dir -PathType Container
    config_path = $configPath
    cfg_exists = $cfgExists
    cfg_isdir = $cfgIsDir
    content = $content
    read_error = $readError
}
