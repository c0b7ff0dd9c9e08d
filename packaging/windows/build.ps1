<#
.SYNOPSIS
  Builds the Pulse agent's MSI on a Windows build machine (packaging/README.md, "Windows").

.DESCRIPTION
  From the repository's root: a virtual environment with the app and PyInstaller, the
  compiled translations, the one-folder bundle (packaging/bundle/pulse.spec), the bundle's
  file list for WiX (packaging/windows/harvest.py), then the MSI with WiX v3 (candle and
  light on the PATH) or, when only the WiX v4+ `wix` tool is there, `wix convert` and
  `wix build`. The MSI lands in dist\pulse-agent-<version>-x64.msi.

  Needs: Python 3.11 (the `py` launcher), a pjsua2 wheel for Windows x64 that pip can
  install, and WiX. Nothing here has been run on Windows yet (see the README).

.EXAMPLE
  powershell -ExecutionPolicy Bypass -File packaging\windows\build.ps1
#>
[CmdletBinding()]
param(
    [string]$Python = "py",
    [string[]]$PythonArgs = @("-3.11"),
    [string]$Venv = ".venv-win",
    [string]$Out = "dist"
)

$ErrorActionPreference = "Stop"
Set-StrictMode -Version Latest

function Invoke-Checked {
    # Native programs do not throw on failure: stop on a non-zero exit code.
    param([string]$Program, [string[]]$Arguments)
    & $Program @Arguments
    if ($LASTEXITCODE -ne 0) {
        throw "$Program $($Arguments -join ' ') failed with exit code $LASTEXITCODE"
    }
}

$Root = Resolve-Path (Join-Path $PSScriptRoot "..\..")
Set-Location $Root
$Wix = Join-Path $Root "build\wix"
New-Item -ItemType Directory -Force -Path $Wix, $Out | Out-Null

# 1. The virtual environment: the app and the packaging extra (PyInstaller and its hooks).
if (-not (Test-Path (Join-Path $Venv "Scripts\python.exe"))) {
    Invoke-Checked $Python ($PythonArgs + @("-m", "venv", $Venv))
}
$Py = Join-Path $Venv "Scripts\python.exe"
Invoke-Checked $Py @("-m", "pip", "install", "--upgrade", "pip")
Invoke-Checked $Py @("-m", "pip", "install", ".[package]")

# 2. The compiled translations the spec bundles (what `make qm` does).
$Catalogues = Get-ChildItem "translations\pulse_*.ts" | ForEach-Object { $_.FullName }
Invoke-Checked $Py (@("-m", "agent_app.foundation.qm", "build\translations") + $Catalogues)

# 3. The one-folder bundle: dist\pulse-agent\pulse-agent.exe and its _internal folder.
Invoke-Checked (Join-Path $Venv "Scripts\pyinstaller.exe") @(
    "--noconfirm", "--clean", "--log-level", "WARN", "--distpath", $Out,
    "--workpath", "build\pyinstaller", "packaging\bundle\pulse.spec")
$Bundle = Resolve-Path (Join-Path $Out "pulse-agent")

# 4. The MSI's version: numeric only (an MSI ProductVersion is major.minor.build).
$Version = (& $Py -c "import agent_app; print(agent_app.__version__)").Trim()
if ($Version -notmatch '^(\d+(\.\d+){0,2})') { throw "version '$Version' has no numeric part" }
$MsiVersion = $Matches[1]

# 5. One component per bundle file, under INSTALLFOLDER.
$Files = Join-Path $Wix "bundle-files.wxs"
Invoke-Checked $Py @("packaging\windows\harvest.py", $Bundle, $Files)

# 6. The MSI.
$Msi = Join-Path $Out "pulse-agent-$MsiVersion-x64.msi"
$Source = "packaging\windows\pulse.wxs"
if (Get-Command candle.exe -ErrorAction SilentlyContinue) {
    Invoke-Checked candle.exe @("-nologo", "-arch", "x64", "-dVersion=$MsiVersion",
        "-dBundleDir=$Bundle", "-out", "$Wix\", $Source, $Files)
    Invoke-Checked light.exe @("-nologo", "-out", $Msi,
        (Join-Path $Wix "pulse.wixobj"), (Join-Path $Wix "bundle-files.wixobj"))
}
elseif (Get-Command wix.exe -ErrorAction SilentlyContinue) {
    # WiX v4 and later read their own schema: convert copies of the v3 sources first.
    Copy-Item $Source, $Files -Destination $Wix -Force
    $V4Sources = @((Join-Path $Wix "pulse.wxs"), (Join-Path $Wix "bundle-files.wxs"))
    & wix.exe convert @V4Sources  # exits non-zero when it changed something
    Invoke-Checked wix.exe (@("build", "-arch", "x64", "-d", "Version=$MsiVersion",
        "-d", "BundleDir=$Bundle", "-o", $Msi) + $V4Sources)
}
else {
    throw "WiX not found: install WiX v3 (candle, light) or v4+ (wix) and put it on the PATH"
}

Write-Host "built $Msi"
