# baken: installs (or updates) the JV-Link gateway. Kept in a Systems Manager Command document;
# run by the first-boot bootstrap and by Run Command when a deploy changes the gateway code.
# Rendered by baken from windows-bootstrap/install-gateway.ps1; the double-braced names are filled in at render time.
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$Root = 'C:\baken'
$Python = 'C:\Python312-32\python.exe'
$Service = 'BakenGateway'
$Bundle = Join-Path $Root 'gateway-{{BUNDLE_SHA256}}.zip'
$Target = Join-Path $Root 'gateway'
New-Item -ItemType Directory -Force -Path $Root | Out-Null
if (-not (Test-Path $Python)) { throw "$Python is missing: the first-boot bootstrap has not installed Python" }

$bytes = [Convert]::FromBase64String('{{BUNDLE_BASE64}}')
[IO.File]::WriteAllBytes($Bundle, $bytes)
$hash = (Get-FileHash -Algorithm SHA256 -Path $Bundle).Hash.ToLowerInvariant()
if ($hash -ne '{{BUNDLE_SHA256}}') { throw "the gateway bundle has SHA-256 $hash, expected {{BUNDLE_SHA256}}" }

$existing = Get-Service -Name $Service -ErrorAction SilentlyContinue
if ($existing -and $existing.Status -ne 'Stopped') { Stop-Service -Name $Service -Force }
if (Test-Path $Target) { Remove-Item -Recurse -Force $Target }
Expand-Archive -Path $Bundle -DestinationPath $Target

# Only the pinned wheels, each checked against its hash; nothing resolved on the instance.
& $Python -m pip install --disable-pip-version-check --no-warn-script-location --require-hashes `
    --no-deps '--only-binary=:all:' -r (Join-Path $Target 'requirements.lock')
if ($LASTEXITCODE -ne 0) { throw "pip install exited with $LASTEXITCODE" }
& $Python (Join-Path (Split-Path $Python) 'Scripts\pywin32_postinstall.py') -install -silent
if ($LASTEXITCODE -ne 0) { throw "pywin32_postinstall exited with $LASTEXITCODE" }

if (-not $existing) {
    Push-Location $Target
    & $Python -m baken_gateway.service --startup auto install
    Pop-Location
    if ($LASTEXITCODE -ne 0) { throw "registering the $Service service exited with $LASTEXITCODE" }
    # Restart after 5 s, twice, then after a minute; the failure count resets after a day.
    & sc.exe failure $Service reset= 86400 actions= restart/5000/restart/5000/restart/60000 | Out-Null
}
$serviceEnv = @(
    "PYTHONPATH=$Target",
    'AWS_DEFAULT_REGION={{REGION}}',
    'BAKEN_PORT={{PORT}}',
    'BAKEN_SERVICE_KEY_PARAMETER={{SERVICE_KEY_PARAMETER}}',
    'BAKEN_HEALTH_PARAMETER={{HEALTH_PARAMETER}}',
    'BAKEN_HEARTBEAT_NAMESPACE={{HEARTBEAT_NAMESPACE}}',
    "BAKEN_DB=$(Join-Path $Root 'jvdata.sqlite')"
)
Set-ItemProperty -Path "HKLM:\SYSTEM\CurrentControlSet\Services\$Service" -Name Environment -Type MultiString -Value $serviceEnv
Start-Service -Name $Service
Write-Output "gateway {{BUNDLE_SHA256}} installed and $Service started"
