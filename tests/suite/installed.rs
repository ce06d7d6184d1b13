//! An installed `baken` run from another directory: it finds `handlers/` and `windows-bootstrap/`
//! beside the manifest's folder (`<repo>/manifests/baken.yaml`), or says where it looked and
//! what to do instead.

use crate::harness::{checkout, sdk, unique};

async fn run_in(dir: &std::path::Path, args: &[&str]) -> (i32, String) {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_baken"))
        .args(args)
        .current_dir(dir)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("BAKEN_MANIFEST")
        .env("BAKEN_RATE_SCALE", "20")
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .expect("baken runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn run_elsewhere_it_finds_the_repository_beside_the_manifest_or_says_what_is_missing() {
    let _ = sdk().await;
    let elsewhere = tempfile::tempdir().unwrap();
    let endpoint = crate::moto::url().to_string();
    // A checkout somewhere else (its handlers/ and windows-bootstrap/), its manifest in
    // another stack's name: the gateway's software is rendered from the windows-bootstrap/
    // found beside the manifest's folder (jravan mode).
    let repo = tempfile::tempdir().unwrap();
    for dir in ["handlers", "windows-bootstrap"] {
        std::os::unix::fs::symlink(checkout().join(dir), repo.path().join(dir)).unwrap();
    }
    std::fs::create_dir(repo.path().join("manifests")).unwrap();
    let stack = unique("inst");
    let text = std::fs::read_to_string(checkout().join("manifests/baken.yaml")).unwrap();
    let text = text.replacen("stack: baken-kaigi", &format!("stack: {stack}"), 1);
    let repo_manifest = repo.path().join("manifests/baken.yaml");
    std::fs::write(&repo_manifest, text).unwrap();
    let manifest = repo_manifest.to_str().unwrap().to_string();
    let (code, stderr) = run_in(
        elsewhere.path(),
        &[
            "plan",
            "--no-build",
            "--mode",
            "jravan",
            "--manifest",
            &manifest,
            "--endpoint-url",
            &endpoint,
        ],
    )
    .await;
    assert_eq!(code, 2, "{stderr}");

    // A manifest alone, far from any repository: the build says where it looked and the way
    // round (a built package), before any request.
    let lonely = elsewhere.path().join("baken.yaml");
    // (mode, flags, what the error names): the build's handlers/, the gateway's software.
    let cases: [(&str, &[&str], [&str; 2]); 2] = [
        ("", &[], ["no handlers/", "--artifact"]),
        (
            "mode: jravan\n",
            &["--no-build"],
            ["no windows-bootstrap/", "jravan.gateway.source"],
        ),
    ];
    for (mode, flags, names) in cases {
        std::fs::write(&lonely, format!("stack: {stack}\n{mode}")).unwrap();
        let mut args = vec!["plan"];
        args.extend_from_slice(flags);
        args.extend([
            "--manifest",
            lonely.to_str().unwrap(),
            "--endpoint-url",
            &endpoint,
        ]);
        let (code, stderr) = run_in(elsewhere.path(), &args).await;
        assert_eq!(code, 1, "{stderr}");
        assert!(names.iter().all(|n| stderr.contains(n)), "{stderr}");
    }
}
