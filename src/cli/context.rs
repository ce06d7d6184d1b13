//! What every AWS command starts from: the validated manifest, the clients, the package.

use std::path::{Path, PathBuf};

use baken::aws::{Clients, Target};
use baken::bootstrap::GatewaySoftware;
use baken::desired::Code;
use baken::engine::Session;
use baken::manifest;
use baken::model::{Architecture, Mode, Stack};
use baken::package::{self, BuildOptions, Package};

use super::args::{Artefact, Global, ManifestArgs, ModeArg};
use super::error::CliError;

pub fn load_stack(source: &ManifestArgs) -> Result<Stack, CliError> {
    let mut stack = manifest::load_env(&source.manifest, source.env.as_deref())?;
    if let Some(region) = &source.region {
        stack.region = region.clone();
    }
    Ok(stack)
}

pub async fn connect(global: &Global, stack: &Stack) -> Clients {
    let target = Target {
        region: stack.region.clone(),
        profile: global.profile.clone(),
        endpoint_url: global.endpoint_url.clone(),
    };
    Clients::connect(&target).await
}

pub async fn open_session(global: &Global, stack: Stack) -> Result<Session, CliError> {
    let clients = connect(global, &stack).await;
    Ok(Session::open(clients, stack).await?)
}

/// The session and the deploy lock's version (`Session::open_for_writing`).
pub async fn open_session_for_writing(
    global: &Global,
    stack: Stack,
) -> Result<(Session, baken::engine::lock::Seen), CliError> {
    let clients = connect(global, &stack).await;
    Ok(Session::open_for_writing(clients, stack).await?)
}

/// The mode to deploy in and whether the person chose it on the command line.
pub fn mode(stack: &Stack, flag: Option<ModeArg>) -> Result<(Mode, bool), CliError> {
    let (mode, explicit) = match flag {
        Some(ModeArg::Mock) => (Mode::Mock, true),
        Some(ModeArg::Jravan) => (Mode::Jravan, true),
        None => (stack.mode, false),
    };
    Ok((mode, explicit))
}

/// The workspace holding `handlers/`: the current directory, else the one above the manifest's
/// folder (`<repo>/manifests/baken.yaml`). Err: the places looked in.
fn workspace(manifest: &Path) -> Result<PathBuf, Vec<PathBuf>> {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    if cwd.join("handlers/Cargo.toml").exists() {
        return Ok(cwd);
    }
    let from_manifest = manifest
        .canonicalize()
        .ok()
        .and_then(|m| m.parent()?.parent().map(Path::to_path_buf));
    match from_manifest {
        Some(w) if w.join("handlers/Cargo.toml").exists() => Ok(w),
        Some(w) if w != cwd => Err(vec![cwd, w]),
        _ => Err(vec![cwd]),
    }
}

fn places(looked: &[PathBuf]) -> String {
    looked
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(" and ")
}

/// The architecture the manifest's functions run on (they all share one).
pub fn architecture(stack: &Stack) -> Architecture {
    stack
        .functions
        .first()
        .map(|f| f.architecture)
        .unwrap_or(Architecture::X86_64)
}

/// Builds the handlers, or takes `--artifact`.
pub fn package(
    global: &Global,
    stack: &Stack,
    artefact: &Artefact,
    quiet: bool,
) -> Result<Package, CliError> {
    build_package(
        &global.source.manifest,
        architecture(stack),
        artefact.artifact.as_deref(),
        quiet,
    )
}

/// The package for `arch`: `prebuilt` checked and taken as it is, else `handlers/` built.
pub fn build_package(
    manifest: &Path,
    arch: Architecture,
    prebuilt: Option<&Path>,
    quiet: bool,
) -> Result<Package, CliError> {
    let ws = workspace(manifest);
    let target_root = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            ws.clone()
                .unwrap_or_else(|_| PathBuf::from("."))
                .join("target")
        });
    let target_dir = target_root.join("lambda");
    if let Some(path) = prebuilt {
        return Ok(package::prebuilt(path, &target_dir, arch)?);
    }
    // An installed baken run outside the repository: say where it looked, and the way round.
    let ws = ws.map_err(|looked| {
        CliError::Usage(format!(
            "no handlers/ to build the Lambda package from: looked in {}\n  hint: run from the baken repository, pass --manifest <repository>/manifests/baken.yaml, or deploy a built package with --artifact (a release's baken-handlers-<architecture>.zip)",
            places(&looked)
        ))
    })?;
    if !quiet {
        eprintln!(
            "building handlers/ for Lambda ({}, release)…",
            arch.as_str()
        );
    }
    let pkg = package::build(&BuildOptions {
        workspace: ws,
        architecture: arch,
        target_dir,
    })?;
    if !quiet {
        eprintln!(
            "package {}: {:.1} MiB zipped ({:.1} MiB binary), sha256 {}",
            pkg.zip_path.display(),
            pkg.zip_size as f64 / 1048576.0,
            pkg.binary_size as f64 / 1048576.0,
            pkg.sha256_base64
        );
    }
    Ok(pkg)
}

/// The gateway instance's user data and install document, rendered from `windows-bootstrap/`
/// (jravan mode only).
pub fn gateway_software(
    global: &Global,
    stack: &Stack,
    mode: Mode,
) -> Result<Option<GatewaySoftware>, CliError> {
    if mode != Mode::Jravan {
        return Ok(None);
    }
    let dir = match &stack.jravan.gateway_source {
        Some(source) => global
            .source
            .manifest
            .parent()
            .unwrap_or_else(|| Path::new("."))
            .join(source),
        None => match workspace(&global.source.manifest) {
            Ok(w) => w.join("windows-bootstrap"),
            Err(looked) => {
                return Err(CliError::Usage(format!(
                    "no windows-bootstrap/ to render the gateway's software from: looked in {}\n  hint: run from the baken repository, pass --manifest <repository>/manifests/baken.yaml, or set jravan.gateway.source in the manifest to a copy of windows-bootstrap/",
                    places(&looked)
                )))
            }
        },
    };
    Ok(Some(baken::bootstrap::render(&dir, stack)?))
}

pub fn code_of(pkg: Option<&Package>) -> Code {
    pkg.map(Package::code).unwrap_or(Code::Unknown)
}

/// sha256 of the manifest file, as a saved plan records it.
pub fn manifest_sha256(source: &ManifestArgs) -> Result<String, CliError> {
    let bytes = std::fs::read(&source.manifest).map_err(|e| {
        CliError::Manifest(baken::manifest::ManifestError::Read {
            path: source.manifest.clone(),
            source: e,
        })
    })?;
    Ok(baken::resource::hash::sha256_hex(&bytes))
}
