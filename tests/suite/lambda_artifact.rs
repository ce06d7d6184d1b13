//! The real Lambda artefact: `baken deploy` builds `handlers/` in release mode for glibc 2.34,
//! packs a byte-reproducible zip, uploads it (CodeSha256 matches), and the `bootstrap` inside
//! answers API Gateway events through a Lambda Runtime API. This is the one test that pays for
//! the release build; every other test deploys a small artefact.

use std::process::Stdio;

use baken::package::{glibc, pack, sha256_base64};
use serde_json::json;

use crate::harness::{sdk, TestStack};
use crate::runtime_api::{proxy_event, RuntimeApi};

fn workspace() -> std::path::PathBuf {
    crate::harness::checkout()
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
