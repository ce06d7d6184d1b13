//! The real Lambda artefact: `baken deploy` builds `handlers/` in release mode for glibc 2.34,
//! packs a byte-reproducible zip, uploads it (CodeSha256 matches), and the `bootstrap` inside
//! answers API Gateway events through a Lambda Runtime API. This is the one test that pays for
//! the release build; every other test deploys a small artefact.

use std::process::Stdio;

use baken::package::{glibc, pack};
use baken::resource::hash::sha256_base64;
use serde_json::json;

use crate::harness::{sdk, TestStack};
use crate::runtime_api::{proxy_event, RuntimeApi};

fn workspace() -> std::path::PathBuf {
    crate::harness::checkout()
}

/// `baken package --out OUT --manifest M ARGS…`, run in the checkout (it builds `handlers/`).
async fn package(
    out: &std::path::Path,
    manifest: &std::path::Path,
    args: &[&str],
) -> std::process::Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_baken"))
        .arg("package")
        .args(args)
        .arg("--out")
        .arg(out)
        .arg("--manifest")
        .arg(manifest)
        .current_dir(workspace())
        .stdin(Stdio::null())
        .output()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_real_handler_is_built_for_al2023_packed_reproducibly_and_serves_proxy_events() {
    let s = TestStack::new("real").await;
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_baken"))
        .args(["deploy", "--yes", "--json", "--manifest"])
        .arg(&s.manifest)
        .args(["--endpoint-url", &s.endpoint])
        .current_dir(workspace())
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "deploy failed: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let zip = std::path::PathBuf::from(
        report["package"]["zip_path"]
            .as_str()
            .expect("deploy reports its package"),
    );
    let zip_bytes = std::fs::read(&zip).expect("the package zip");
    println!("package: {} bytes zipped", zip_bytes.len());

    // What Lambda holds is exactly this zip.
    let lambda = aws_sdk_lambda::Client::new(&sdk().await);
    let f = lambda
        .get_function_configuration()
        .function_name(s.function("get-races"))
        .send()
        .await
        .unwrap();
    assert_eq!(f.code_sha256(), Some(sha256_base64(&zip_bytes).as_str()));

    // The binary needs no glibc newer than AL2023's 2.34, and packing it again gives the same bytes.
    let dir = tempfile::tempdir().unwrap();
    let extract = std::process::Command::new("python3")
        .args([
            "-c",
            "import sys,zipfile; zipfile.ZipFile(sys.argv[1]).extract('bootstrap', sys.argv[2])",
        ])
        .arg(&zip)
        .arg(dir.path())
        .status()
        .unwrap();
    assert!(extract.success());
    let binary = dir.path().join("bootstrap");
    let needed = glibc::required_glibc(&std::fs::read(&binary).unwrap())
        .expect("a dynamically linked binary");
    assert!(needed <= (2, 34), "needs glibc {needed:?}");
    let again = pack(&binary, dir.path(), "again").unwrap();
    assert_eq!(
        std::fs::read(&again.zip_path).unwrap(),
        zip_bytes,
        "packing is byte-reproducible"
    );
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&binary, std::fs::Permissions::from_mode(0o755)).unwrap();

    // A second deploy finds nothing to upload.
    s.log.take();
    let second = crate::harness::run_baken(&["deploy", "--yes"], &s.manifest, &s.endpoint).await;
    second.expect_code(0);
    assert_eq!(s.log.writes(), Vec::<String>::new());

    // The release step: `baken package` writes the same bytes and a checksum sha256sum agrees
    // with, and `deploy --artifact` takes that file (nothing to upload: the same code).
    let dist = tempfile::tempdir().unwrap();
    let packaged = package(dist.path(), &s.manifest, &["--json"]).await;
    assert!(
        packaged.status.success(),
        "{}",
        String::from_utf8_lossy(&packaged.stdout)
    );
    let released = dist.path().join("baken-handlers-x86_64.zip");
    assert_eq!(
        std::fs::read(&released).unwrap(),
        zip_bytes,
        "the release zip is the deployed zip"
    );
    let check = std::process::Command::new("sha256sum")
        .args(["-c", "baken-handlers-x86_64.zip.sha256"])
        .current_dir(dist.path())
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
    let released_arg = released.to_str().unwrap();
    let third = crate::harness::run_baken(
        &["deploy", "--yes", "--artifact", released_arg],
        &s.manifest,
        &s.endpoint,
    )
    .await;
    third.expect_code(0);
    // A damaged download: the checksum beside it no longer matches, and nothing is sent.
    let mut damaged = zip_bytes.clone();
    let last = damaged.len() - 1;
    damaged[last] ^= 0xff;
    std::fs::write(&released, &damaged).unwrap();
    s.log.take();
    let refused = crate::harness::run_baken(
        &["deploy", "--yes", "--artifact", released_arg],
        &s.manifest,
        &s.endpoint,
    )
    .await;
    refused.expect_code(1);
    assert!(
        refused.stderr.contains("does not match its checksum"),
        "{}",
        refused.stderr
    );
    assert_eq!(s.log.count(), 0, "refused before any AWS request");

    // Drive the real bootstrap through a local Runtime API.
    let api = RuntimeApi::default();
    let addr = api.start().await;
    api.push(
        "r1",
        proxy_event(
            "GET",
            "/races",
            "/races",
            &[("date", "2031-03-01"), ("venue", "中山")],
            None,
        ),
    );
    api.push(
        "r2",
        proxy_event(
            "GET",
            "/races/2031030106010199",
            "/races/{race_id}",
            &[],
            None,
        ),
    );
    api.push(
        "r3",
        proxy_event(
            "POST",
            "/cart/items",
            "/cart/items",
            &[],
            Some("{\"race_id\": 1}"),
        ),
    );
    api.push("r4", proxy_event("GET", "/races", "/races", &[], None));
    let mut child = tokio::process::Command::new(&binary)
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", &addr)
        .env("AWS_LAMBDA_FUNCTION_NAME", "t")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "s")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "g")
        .env("AWS_REGION", "ap-northeast-1")
        .env("RACE_DATA_PROVIDER", "mock")
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let answers = tokio::time::timeout(std::time::Duration::from_secs(60), api.answers(4))
        .await
        .expect("answers within a minute");
    child.kill().await.ok();
    let by_id = |id: &str| {
        answers
            .iter()
            .find(|(r, _)| r == id)
            .map(|(_, v)| v.clone())
            .unwrap()
    };
    let races = by_id("r1");
    assert_eq!(races["statusCode"], 200);
    assert_eq!(races["headers"]["access-control-allow-origin"], "*");
    let body: serde_json::Value = serde_json::from_str(races["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["venues"], json!(["中山"]));
    assert_eq!(body["races"].as_array().unwrap().len(), 12);
    assert_eq!(by_id("r2")["statusCode"], 404);
    let bad = by_id("r3");
    assert_eq!(bad["statusCode"], 400);
    assert!(bad["body"]
        .as_str()
        .unwrap()
        .contains("race_id must be a string"));
    assert_eq!(bad["headers"]["content-type"], "application/json");
    let missing = by_id("r4");
    assert!(missing["body"]
        .as_str()
        .unwrap()
        .contains("date parameter is required"));
}

/// `functions.architecture: arm64` end to end with a prebuilt package (this machine has only the
/// x86_64 standard library; the release workflow builds the real arm64 zip).
#[tokio::test(flavor = "multi_thread")]
async fn arm64_functions_are_configured_for_arm64_and_a_build_without_its_target_says_what_to_install(
) {
    let s = TestStack::with_manifest("arm", "functions:\n  architecture: arm64\n").await;
    let run = s.deploy_with(&["--json"]).await;
    run.expect_code(0);
    let zip = run.json()["package"]["zip_path"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        std::path::Path::new(&zip)
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("bootstrap-arm64-"),
        "{zip}"
    );
    let lambda = aws_sdk_lambda::Client::new(&sdk().await);
    let c = lambda
        .get_function_configuration()
        .function_name(s.function("get-cart"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        c.architectures(),
        [aws_sdk_lambda::types::Architecture::Arm64]
    );

    // Building arm64 here: refused at once, naming the rustup command, when the target's
    // standard library is missing (as on this project's machines).
    let sysroot = std::process::Command::new("rustc")
        .args(["--print", "sysroot"])
        .output()
        .unwrap();
    let sysroot = String::from_utf8_lossy(&sysroot.stdout).trim().to_string();
    let has_target = std::path::Path::new(&sysroot)
        .join("lib/rustlib/aarch64-unknown-linux-gnu/lib")
        .is_dir();
    if has_target {
        // Not this project's machines: building arm64 would then take a full release build.
        eprintln!(
            "aarch64 standard library installed: the missing-target refusal is not exercised"
        );
    } else {
        let out = package(s.dir.path(), &s.manifest, &["--architecture", "arm64"]).await;
        assert_eq!(out.status.code(), Some(1));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("rustup target add aarch64-unknown-linux-gnu"),
            "{stderr}"
        );
    }
}
