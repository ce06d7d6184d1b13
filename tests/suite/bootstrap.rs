//! The gateway instance's software rendered from windows-bootstrap/: the user data within EC2's
//! 16 KB, every placeholder filled, valid PowerShell (checked with the tree-sitter grammar, since
//! there is no PowerShell here), and clear errors for what cannot be rendered.

use std::path::{Path, PathBuf};

use baken::bootstrap::{self, BootstrapError, USER_DATA_LIMIT};
use baken::model::Stack;

const HASH: &str = "6f0e6a6ad8b9b1f1ac8d1d8f3e1c9a7b5d4c3b2a1908f7e6d5c4b3a29180f7e6";

fn stack(extra: &str) -> Stack {
    baken::manifest::parse(
        Path::new("t.yaml"),
        &format!("stack: boot\nregion: ap-northeast-1\n{extra}"),
    )
    .unwrap()
}

fn with_hash() -> Stack {
    stack(&format!("jravan:\n  gateway:\n    python_sha256: {HASH}\n"))
}

fn source() -> PathBuf {
    crate::harness::checkout().join("windows-bootstrap")
}

/// Runs check_powershell.py on `scripts`; returns its exit code and output.
fn check_syntax(dir: &Path, scripts: &[(&str, &str)]) -> (i32, String) {
    let mut args = vec![source().join("check_powershell.py")];
    for (name, text) in scripts {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        args.push(path);
    }
    let out = std::process::Command::new(crate::moto::python())
        .args(&args)
        .output()
        .expect("python runs");
    (
        out.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn the_rendered_user_data_and_install_script_are_complete_valid_powershell() {
    let sw = bootstrap::render(&source(), &with_hash()).unwrap();
    assert!(sw.user_data.starts_with("<powershell>"));
    assert!(sw.user_data.trim_end().ends_with("</powershell>"));
    assert!(
        sw.user_data.len() <= USER_DATA_LIMIT,
        "{} bytes",
        sw.user_data.len()
    );
    for wanted in [
        HASH,
        "python-3.12.10.exe",
        "-RemoteAddress '10.0.0.0/16'",
        "-LocalPort 8000",
        "'boot-gateway-install'",
        "/baken/boot/gateway-bootstrap",
        "bootstrap.done",
    ] {
        assert!(sw.user_data.contains(wanted), "user data lacks {wanted}");
    }
    assert!(!sw.user_data.contains("{{"), "an unfilled placeholder");
    // The service key itself is never in the user data, only the parameter's name (elsewhere).
    assert!(!sw.user_data.contains("jravan-service-key"));

    let script = bootstrap::document_script(&sw.document).expect("a Command document");
    assert!(script.contains(&format!("gateway-{}.zip", sw.bundle_sha256)));
    assert!(script.contains("BAKEN_SERVICE_KEY_PARAMETER=/baken/boot/jravan-service-key"));
    assert!(script.contains("BAKEN_HEALTH_PARAMETER=/baken/boot/gateway-health"));
    assert!(script.contains("--require-hashes"));
    assert!(!script.contains("{{"));

    let dir = tempfile::tempdir().unwrap();
    let (code, out) = check_syntax(
        dir.path(),
        &[("user-data.ps1", &sw.user_data), ("install.ps1", &script)],
    );
    assert_eq!(code, 0, "syntax errors:\n{out}");
    // The check does catch a broken script.
    let broken = sw
        .user_data
        .replacen("if ($p.ExitCode -ne 0) {", "if ($p.ExitCode -ne 0 {", 1);
    let (code, out) = check_syntax(dir.path(), &[("broken.ps1", &broken)]);
    assert_eq!(code, 1, "a missing parenthesis went unnoticed:\n{out}");
    assert!(out.contains("broken.ps1:"), "{out}");
}

#[test]
fn the_bundle_is_byte_reproducible_and_carries_the_hashed_lock() {
    let a = bootstrap::render(&source(), &with_hash()).unwrap();
    let b = bootstrap::render(&source(), &with_hash()).unwrap();
    assert_eq!(a.bundle_sha256, b.bundle_sha256);
    assert_eq!(a.document, b.document);
    let lock = std::fs::read_to_string(source().join("gateway/requirements.lock")).unwrap();
    for line in lock.lines().filter(|l| !l.starts_with('#')) {
        assert!(
            line.contains("==") && line.contains("--hash=sha256:"),
            "unpinned: {line}"
        );
    }
    assert!(
        lock.contains("pywin32=="),
        "the Windows-only dependency is locked too"
    );
}

#[test]
fn without_a_pinned_hash_the_installer_is_checked_by_its_signature_alone() {
    let sw = bootstrap::render(&source(), &stack("")).unwrap();
    assert!(
        sw.user_data.contains("$expected = ''"),
        "no hash to compare"
    );
    assert!(sw.user_data.contains("Get-AuthenticodeSignature"));
    assert!(sw.user_data.contains("'Python Software Foundation'"));
    let pinned = bootstrap::render(&source(), &with_hash()).unwrap();
    assert!(pinned.user_data.contains(&format!("$expected = '{HASH}'")));
    // The download is retried with back-off (there is no PowerShell here to run it).
    assert!(pinned.user_data.contains("if ($attempt -ge 5)"));
    assert!(pinned
        .user_data
        .contains("Start-Sleep -Seconds (5 * [math]::Pow(2, $attempt - 1))"));
    // The signature is checked before the hash, and both before the installer runs.
    let at = |text: &str| pinned.user_data.find(text).unwrap();
    assert!(at("Get-AuthenticodeSignature") < at("$expected -and"));
    assert!(at("$expected -and") < at("Start-Process -FilePath $installer"));
}

/// A copy of windows-bootstrap/ whose user-data template is `edit`ed.
fn edited(edit: impl Fn(String) -> String) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let src = source();
    std::fs::create_dir_all(dir.path().join("gateway/baken_gateway")).unwrap();
    for rel in ["install-gateway.ps1", "gateway/requirements.lock"] {
        std::fs::copy(src.join(rel), dir.path().join(rel)).unwrap();
    }
    std::fs::copy(
        src.join("gateway/baken_gateway/app.py"),
        dir.path().join("gateway/baken_gateway/app.py"),
    )
    .unwrap();
    let template = std::fs::read_to_string(src.join("user-data.ps1")).unwrap();
    std::fs::write(dir.path().join("user-data.ps1"), edit(template)).unwrap();
    dir
}

#[test]
fn user_data_over_16_kb_is_refused_with_its_size() {
    let dir = edited(|t| {
        t.replace(
            "</powershell>",
            &format!("{}\n</powershell>", "# padding\n".repeat(1700)),
        )
    });
    let err = bootstrap::render(dir.path(), &with_hash()).unwrap_err();
    let BootstrapError::TooLarge { size, limit, .. } = &err else {
        panic!("{err}")
    };
    assert!(*size > 16 * 1024 && *limit == 16 * 1024, "{err}");
    assert!(err.to_string().contains("user data"), "{err}");
}

#[test]
fn a_placeholder_the_renderer_does_not_know_is_an_error() {
    let dir = edited(|t| t.replace("$Region = '{{REGION}}'", "$Region = '{{REGOIN}}'"));
    let err = bootstrap::render(dir.path(), &with_hash()).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("{{REGOIN}}") && text.contains("user-data.ps1"),
        "{text}"
    );
}
