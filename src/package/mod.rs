//! The Lambda deployment package: build `handlers/` into a `bootstrap` for provided.al2023 and
//! pack it into a byte-reproducible zip.

pub mod glibc;
pub mod zip;

use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

use crate::desired::Code;
use crate::model::Architecture;
use crate::resource::hash::{hex, sha256_base64, sha256_hex};

#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("building the handlers failed ({command}); see the compiler output above")]
    BuildFailed { command: String },
    #[error("{0}")]
    Toolchain(String),
    #[error(
        "{} needs glibc {}.{} but Lambda's provided.al2023 has {}.{}; install cargo-zigbuild and ziglang (pip install cargo-zigbuild ziglang) so baken can link against glibc {}.{}",
        path.display(), found.0, found.1, glibc::LAMBDA_GLIBC.0, glibc::LAMBDA_GLIBC.1, glibc::LAMBDA_GLIBC.0, glibc::LAMBDA_GLIBC.1
    )]
    GlibcTooNew { path: PathBuf, found: (u32, u32) },
    #[error("{} does not match its checksum in {}: the file has sha256 {actual}, the checksum file says {expected}\n  hint: download the artefact again; a release's checksums are in its SHA256SUMS", path.display(), sums.display())]
    Checksum {
        path: PathBuf,
        sums: PathBuf,
        expected: String,
        actual: String,
    },
}

fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> PackageError {
    let path = path.to_path_buf();
    move |source| PackageError::Io {
        action,
        path,
        source,
    }
}

/// A packed zip and its hash in Lambda's `CodeSha256` form (base64 of SHA-256).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Package {
    pub zip_path: PathBuf,
    pub sha256_base64: String,
    pub zip_size: u64,
    pub binary_size: u64,
}

impl Package {
    pub fn code(&self) -> Code {
        Code::Zip {
            path: self.zip_path.clone(),
            sha256_base64: self.sha256_base64.clone(),
        }
    }
}

pub struct BuildOptions {
    /// The workspace holding `handlers/`.
    pub workspace: PathBuf,
    pub architecture: Architecture,
    /// Where cargo builds the Lambda binary. Kept apart from the CLI's own target directory so
    /// that the two builds never wait on each other's lock or invalidate each other.
    pub target_dir: PathBuf,
}

fn target_triple(arch: Architecture) -> &'static str {
    match arch {
        Architecture::X86_64 => "x86_64-unknown-linux-gnu",
        Architecture::Arm64 => "aarch64-unknown-linux-gnu",
    }
}

/// Where rustup keeps a target's standard library; None when it is not installed.
fn missing_std(sysroot: &Path, triple: &str) -> Option<String> {
    let lib = sysroot.join("lib/rustlib").join(triple).join("lib");
    (!lib.is_dir()).then(|| {
        format!(
            "the Rust standard library for {triple} is not installed (no {})\n  hint: `rustup target add {triple}`, or deploy a prebuilt package with --artifact (a release's handler zip)",
            lib.display()
        )
    })
}

fn sysroot() -> Option<PathBuf> {
    let out = Command::new("rustc")
        .args(["--print", "sysroot"])
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
}

fn has_zigbuild() -> bool {
    Command::new("cargo-zigbuild")
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// The cargo profile of the Lambda binary (`[profile.lambda]` in the workspace's Cargo.toml).
pub const LAMBDA_PROFILE: &str = "lambda";

/// Builds the `bootstrap` binary with the `lambda` profile. With cargo-zigbuild it links against glibc
/// 2.34 exactly; without it, a host build is accepted only if it needs no newer glibc.
pub fn build(opts: &BuildOptions) -> Result<Package, PackageError> {
    let triple = target_triple(opts.architecture);
    // Cargo's own message for a missing target ("can't find crate for `core`") comes after a
    // long wait and does not say what to run.
    if let Some(message) = sysroot().and_then(|root| missing_std(&root, triple)) {
        return Err(PackageError::Toolchain(message));
    }
    let zig = has_zigbuild();
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    if zig {
        cmd.arg("zigbuild").arg("--target").arg(format!(
            "{triple}.{}.{}",
            glibc::LAMBDA_GLIBC.0,
            glibc::LAMBDA_GLIBC.1
        ));
    } else {
        if opts.architecture != Architecture::X86_64 || std::env::consts::ARCH != "x86_64" {
            return Err(PackageError::Toolchain(format!(
                "building for {} needs cargo-zigbuild (pip install cargo-zigbuild ziglang)",
                opts.architecture.as_str()
            )));
        }
        cmd.arg("build").arg("--target").arg(triple);
    }
    cmd.args([
        "--profile",
        LAMBDA_PROFILE,
        "-p",
        "baken-handlers",
        "--bin",
        "bootstrap",
    ])
    .current_dir(&opts.workspace)
    .env("CARGO_TARGET_DIR", &opts.target_dir);
    let shown = format!("{cmd:?}");
    let status = cmd
        .status()
        .map_err(|e| PackageError::Toolchain(format!("cannot run cargo: {e}")))?;
    if !status.success() {
        return Err(PackageError::BuildFailed { command: shown });
    }
    let binary = opts
        .target_dir
        .join(triple)
        .join(LAMBDA_PROFILE)
        .join("bootstrap");
    pack(
        &binary,
        &opts.target_dir,
        &format!("bootstrap-{}", opts.architecture.as_str()),
    )
}

/// Packs an existing binary (checked for its glibc needs) into `dir/<stem>-<hash>.zip`. The name
/// carries the content's hash and the file is written under a temporary name and renamed, so
/// baken runs side by side never upload each other's package.
pub fn pack(binary: &Path, dir: &Path, stem: &str) -> Result<Package, PackageError> {
    let data = std::fs::read(binary).map_err(io("read", binary))?;
    if let Some(found) = glibc::required_glibc(&data) {
        if found > glibc::LAMBDA_GLIBC {
            return Err(PackageError::GlibcTooNew {
                path: binary.to_path_buf(),
                found,
            });
        }
    }
    let bytes = zip::write(&mut [zip::Entry {
        name: "bootstrap",
        data: &data,
        unix_mode: 0o755,
    }])
    .map_err(io("pack", binary))?;
    let hex = hex(&Sha256::digest(&bytes)[..6]);
    let zip_path = dir.join(format!("{stem}-{hex}.zip"));
    let partial = dir.join(format!(".{stem}-{hex}.{}.partial", std::process::id()));
    std::fs::create_dir_all(dir).map_err(io("create", dir))?;
    std::fs::write(&partial, &bytes).map_err(io("write", &partial))?;
    std::fs::rename(&partial, &zip_path).map_err(io("write", &zip_path))?;
    Ok(Package {
        zip_path,
        sha256_base64: sha256_base64(&bytes),
        zip_size: bytes.len() as u64,
        binary_size: data.len() as u64,
    })
}

/// Uses a prebuilt package: a zip as it is, or a binary packed into one. A checksum file beside
/// it (`<file>.sha256`, or a release's `SHA256SUMS` naming the file) must agree with it.
pub fn prebuilt(path: &Path, scratch: &Path, arch: Architecture) -> Result<Package, PackageError> {
    let bytes = std::fs::read(path).map_err(io("read", path))?;
    verify_checksum(path, &bytes)?;
    if bytes.starts_with(b"PK\x03\x04") {
        return Ok(Package {
            zip_path: path.to_path_buf(),
            sha256_base64: sha256_base64(&bytes),
            zip_size: bytes.len() as u64,
            binary_size: 0,
        });
    }
    pack(path, scratch, &format!("bootstrap-{}", arch.as_str()))
}

/// The checksum `sha256sum` wrote for `name` in `sums` (`<hex>  <name>`, or `<hex> *<name>`).
fn listed_checksum(sums: &str, name: &str) -> Option<String> {
    sums.lines().find_map(|line| {
        let (hex, file) = line.split_once(char::is_whitespace)?;
        let file = file.trim_start().trim_start_matches('*');
        (file == name).then(|| hex.to_ascii_lowercase())
    })
}

fn verify_checksum(path: &Path, bytes: &[u8]) -> Result<(), PackageError> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    let own = dir.join(format!("{name}.sha256"));
    let release = dir.join("SHA256SUMS");
    for (sums, own_file) in [(own, true), (release, false)] {
        let Ok(text) = std::fs::read_to_string(&sums) else {
            continue;
        };
        // `<file>.sha256` may hold the bare hash; SHA256SUMS must name the file.
        let expected = if own_file {
            text.split_whitespace().next().map(str::to_ascii_lowercase)
        } else {
            listed_checksum(&text, name)
        };
        let Some(expected) = expected else {
            continue;
        };
        let actual = sha256_hex(bytes);
        if expected != actual {
            return Err(PackageError::Checksum {
                path: path.to_path_buf(),
                sums,
                expected,
                actual,
            });
        }
        return Ok(());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_files_in_sha256sum_form_are_read_for_the_right_name() {
        let sums = "aa11  baken-handlers-x86_64.zip\nBB22 *baken-handlers-arm64.zip\n";
        assert_eq!(
            listed_checksum(sums, "baken-handlers-arm64.zip").as_deref(),
            Some("bb22")
        );
        assert_eq!(
            listed_checksum(sums, "baken-handlers-x86_64.zip").as_deref(),
            Some("aa11")
        );
        assert_eq!(listed_checksum(sums, "other.zip"), None);
    }

    #[test]
    fn a_missing_target_standard_library_is_named_with_the_command_that_installs_it() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("lib/rustlib/x86_64-unknown-linux-gnu/lib"))
            .unwrap();
        assert_eq!(missing_std(root.path(), "x86_64-unknown-linux-gnu"), None);
        let message = missing_std(root.path(), "aarch64-unknown-linux-gnu").unwrap();
        assert!(
            message.contains("rustup target add aarch64-unknown-linux-gnu"),
            "{message}"
        );
    }
}
