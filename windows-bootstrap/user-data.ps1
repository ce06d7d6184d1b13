<powershell>
# baken: first-boot bootstrap of the JV-Link gateway instance (EC2Launch v2 runs this once).
# Rendered by baken from windows-bootstrap/user-data.ps1; the double-braced names are filled in at render time.
# Every step is logged with a time stamp to C:\baken\bootstrap.log and reported to the Systems
# Manager parameter {{STATUS_PARAMETER}}, which `baken status` reads.
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$Region = '{{REGION}}'
$Root = 'C:\baken'
$Log = Join-Path $Root 'bootstrap.log'
$PythonDir = 'C:\Python312-32'
New-Item -ItemType Directory -Force -Path $Root | Out-Null

function Write-Step([string]$State, [string]$Message) {
    $stamp = (Get-Date).ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ssZ')
    Add-Content -Path $Log -Value "$stamp [$State] $Message" -Encoding UTF8
    $report = @{ state = $State; step = $Message; at = $stamp } | ConvertTo-Json -Compress
    try {
        Write-SSMParameter -Region $Region -Name '{{STATUS_PARAMETER}}' -Type String -Value $report -Overwrite $true | Out-Null
    } catch {
        Add-Content -Path $Log -Value "$stamp [warning] status not reported: $($_.Exception.Message)"
    }
}

function Invoke-Step([string]$Name, [scriptblock]$Body) {
    Write-Step 'running' $Name
    try {
        & $Body
    } catch {
        Write-Step 'failed' "$Name : $($_.Exception.Message)"
        throw
    }
}

# The installer is trusted when Windows finds a valid Authenticode signature by the Python Software
# Foundation; a SHA-256 pinned in the manifest (jravan.gateway.python_sha256) is checked as well.
Invoke-Step 'install 32-bit CPython {{PYTHON_VERSION}}' {
    if (-not (Test-Path (Join-Path $PythonDir 'python.exe'))) {
        $installer = Join-Path $env:TEMP 'python-{{PYTHON_VERSION}}.exe'
        $uri = 'https://www.python.org/ftp/python/{{PYTHON_VERSION}}/python-{{PYTHON_VERSION}}.exe'
        for ($attempt = 1; ; $attempt++) {
            try {
                Invoke-WebRequest -UseBasicParsing -Uri $uri -OutFile $installer
                break
            } catch {
                if ($attempt -ge 5) { throw "downloading $uri failed 5 times: $($_.Exception.Message)" }
                Write-Step 'running' "download attempt $attempt failed ($($_.Exception.Message)); retrying"
                Start-Sleep -Seconds (5 * [math]::Pow(2, $attempt - 1))
            }
        }
        $signature = Get-AuthenticodeSignature -FilePath $installer
        if ($signature.Status -ne 'Valid') {
            throw "python-{{PYTHON_VERSION}}.exe has no valid Authenticode signature: $($signature.Status) $($signature.StatusMessage)"
        }
        $signer = $signature.SignerCertificate.GetNameInfo([System.Security.Cryptography.X509Certificates.X509NameType]::SimpleName, $false)
        if ($signer -ne 'Python Software Foundation') {
            throw "python-{{PYTHON_VERSION}}.exe is signed by '$signer', not by the Python Software Foundation"
        }
        $expected = '{{PYTHON_SHA256}}'
        $hash = (Get-FileHash -Algorithm SHA256 -Path $installer).Hash.ToLowerInvariant()
        if ($expected -and $hash -ne $expected) {
            throw "python-{{PYTHON_VERSION}}.exe has SHA-256 $hash, expected $expected (jravan.gateway.python_sha256)"
        }
        $p = Start-Process -FilePath $installer -Wait -PassThru -ArgumentList @(
            '/quiet', 'InstallAllUsers=1', "TargetDir=$PythonDir", 'PrependPath=0',
            'Include_test=0', 'Include_launcher=0', 'Shortcuts=0')
        if ($p.ExitCode -ne 0) { throw "the Python installer exited with $($p.ExitCode)" }
    }
}

Invoke-Step 'open Windows Firewall inbound TCP {{PORT}} from {{VPC_CIDR}}' {
    Get-NetFirewallRule -Name 'baken-gateway' -ErrorAction SilentlyContinue | Remove-NetFirewallRule
    New-NetFirewallRule -Name 'baken-gateway' -DisplayName 'baken JV-Link gateway' -Direction Inbound `
        -Protocol TCP -LocalPort {{PORT}} -RemoteAddress '{{VPC_CIDR}}' -Action Allow | Out-Null
}

# The gateway code, its hashed requirements and the service registration come from the Systems
# Manager document baken keeps up to date; later deploys run the same document with Run Command.
Invoke-Step 'install the gateway from the document {{INSTALL_DOCUMENT}}' {
    $doc = Get-SSMDocument -Region $Region -Name '{{INSTALL_DOCUMENT}}' -DocumentFormat JSON
    $script = (($doc.Content | ConvertFrom-Json).mainSteps[0].inputs.runCommand) -join "`n"
    Invoke-Expression $script
}

# JRA-VAN's installer asks the user to accept its terms; that cannot be automated. Until JV-Link
# is installed the final report stays a manual step, so `baken status` keeps showing what to do.
$ManualStep = 'JV-Link is not installed. Connect with Systems Manager Session Manager ' +
    '(or RDP through a port you open yourself), download JV-Link from https://jra-van.jp/dlb/ , ' +
    'run its setup as Administrator and accept the terms, enter the service key in the JV-Link ' +
    'settings dialog once, then run: Restart-Service BakenGateway'
$installed = Test-Path 'Registry::HKEY_CLASSES_ROOT\JVDTLab.JVLink'
$finished = (Get-Date).ToUniversalTime().ToString('o')
Set-Content -Path (Join-Path $Root 'bootstrap.done') -Value $finished
if ($installed) {
    Write-Step 'complete' 'bootstrap finished; JV-Link is installed'
} else {
    Write-Step 'manual-step' "bootstrap finished; $ManualStep"
}
</powershell>
