//! Broken manifests: each is refused with its own precise message and place, exit 1, and not a
//! single request reaches the emulator.

use crate::harness::{run_baken, unique};
use crate::{moto, proxy};

/// (manifest text, what the error must say, the `line:column` it must point at)
const CASES: &[(&str, &str, &str)] = &[
    ("stack: ok\nstak: typo\n", "unknown field `stak`", ":2:1"),
    ("stack: ok\nfunctions:\n  memory: lots\n", "invalid type: string \"lots\", expected i64", ":3:11"),
    ("stack: ok\nfunctions:\n  memory: 64\n", "Lambda memory (MB) must be between 128 and 10240, got 64", ":3:11"),
    ("stack: ok\nfunctions:\n  timeout: 901\n", "Lambda timeout (seconds) must be between 1 and 900, got 901", ":3:12"),
    ("stack: ok\nfunctions:\n  overrides:\n    get-racez:\n      memory: 256\n", "no function `get-racez`", ":4:5"),
    ("stack: ok\nfunctions:\n  overrides:\n    get-races:\n      memory: 20000\n", "`functions.overrides.get-races.memory`: Lambda memory (MB) must be between 128 and 10240, got 20000", ":5:15"),
    ("stack: Bad_Name\n", "is not a valid stack name", ":1:8"),
    ("stack: a-stack-name-that-is-far-too-long-for-iam-roles-x\n", "AWS allows 64", ":1:8"),
    ("stack: ok\nregion: tokyo\n", "`tokyo` is not an AWS region name", ":2:9"),
    ("stack: ok\nmode: production\n", "unknown variant `production`, expected `mock` or `jravan`", ":2:7"),
    ("stack: ok\nfunctions:\n  log_retention_days: 10\n", "CloudWatch Logs does not accept a retention of 10 days", ":3:23"),
    ("stack: ok\nfunctions:\n  architecture: arm\n", "unknown variant `arm`, expected `x86_64` or `arm64`", ":3:17"),
    ("stack: ok\napi:\n  stage: prod-1\n", "`prod-1` is not a stage name", ":3:10"),
    ("stack: ok\napi:\n  throttling:\n    rate_limit: 0\n", "requests per second must be above 0 and at most 10000", ":4:17"),
    ("stack: ok\napi:\n  throttling:\n    burst_limit: 9000\n", "the burst limit must be between 0 and 5000, got 9000", ":4:18"),
    ("stack: ok\napi:\n  cors:\n    allow_methods: [GET, FETCH]\n", "`FETCH` is not an HTTP method", ":4:26"),
    ("stack: ok\ntables:\n  cart:\n    name: ab\n", "`ab` is not a DynamoDB table name", ":4:11"),
    ("stack: ok\ntables:\n  cart:\n    name: same\n  session:\n    name: same\n", "the cart and session tables must differ", ":6:11"),
    ("stack: ok\nhandlers:\n  max_bet_amount: 150\n", "the maximum bet must be at least 100 yen in steps of 100", ":3:19"),
    ("stack: ok\njravan:\n  network:\n    vpc_cidr: 10.0.0.1/16\n", "`10.0.0.1/16` is not an IPv4 CIDR block", ":4:15"),
    ("stack: ok\njravan:\n  network:\n    public_subnets: [10.1.0.0/24, 10.0.1.0/24]\n", "subnet `10.1.0.0/24` is outside the VPC block `10.0.0.0/16`", ":4:22"),
    ("stack: ok\njravan:\n  instance:\n    disk_gb: 8\n", "the root volume size (GB) must be between 30 and 16384, got 8", ":4:14"),
    ("stack: ok\njravan:\n  gateway:\n    python_sha256: abc123\n", "a SHA-256 is 64 hexadecimal digits", ":4:20"),
    ("stack: ok\njravan:\n  gateway:\n    python_version: \"3.12\"\n", "`3.12` is not a CPython release like 3.12.10", ":4:21"),
    ("stack: sg-prod\n", "EC2 reserves names starting with `sg-`", ":1:8"),
    ("stack: ok\nfunctions: [1, 2]\n", "invalid type: sequence, expected struct RawFunctions", ":2:12"),
    ("stack: ok\n  bad: indentation\n", "mapping values are not allowed", ":2:6"),
    // Regressions: each of these was accepted or mislocated.
    ("", "the manifest is empty", ":1:1"),
    ("# only a comment\n\n", "the manifest is empty", ":1:1"),
    ("region: ap-northeast-1\n", "`stack` is required", ":1:1"),
    ("stack: true\n", "invalid type: boolean `true`, expected text", ":1:8"),
    ("stack: ok\ntables:\n  cart:\n    name: 12\n", "invalid type: integer `12`, expected text", ":4:11"),
    ("stack: ok\n---\nstack: other\n", "a second YAML document", ":2:1"),
    ("stack: ok\nregion: ap-northeast-1\nregion: us-east-1\n", "`region` is given twice in this mapping (first at line 2, column 1)", ":3:1"),
    ("stack: ok\njravan:\n  network:\n    availability_zones: []\n", "between 1 and 4 availability zones are supported, got 0", ":4:25"),
    ("stack: ok\naccount_id: \"12345\"\n", "`12345` is not an AWS account id", ":2:13"),
    ("stack: ok\naccount_id: 12345\n", "`12345` is not an AWS account id", ":2:13"),
    ("stack: ok\naccount_id: true\n", "invalid type: boolean `true`, expected digits", ":2:13"),
    ("stack: ok\njravan:\n  network:\n    bedrock_endpoint: two\n", "one-subnet", ":4:23"),
];

#[tokio::test(flavor = "multi_thread")]
async fn each_broken_manifest_gets_its_own_error_and_no_request_is_sent() {
    assert!(CASES.len() >= 15);
    let (endpoint, log) = proxy::start(moto::url()).await;
    let dir = tempfile::tempdir().unwrap();
    for (i, (text, message, place)) in CASES.iter().enumerate() {
        let text = text.replace("stack: ok", &format!("stack: {}", unique("bad")));
        let path = dir.path().join(format!("broken-{i}.yaml"));
        std::fs::write(&path, &text).unwrap();
        for command in [
            &["plan", "--no-build"][..],
            &["deploy", "--yes", "--artifact", "/nonexistent"],
            &["status"],
        ] {
            let run = run_baken(command, &path, &endpoint).await;
            assert_eq!(
                run.code, 1,
                "case {i} {command:?}: exit code\n{}",
                run.stderr
            );
            assert!(
                run.stderr.contains(message),
                "case {i}: `{message}` not in:\n{}",
                run.stderr
            );
            let at = format!("broken-{i}.yaml{place}");
            assert!(
                run.stderr.contains(&at),
                "case {i}: `{at}` not in:\n{}",
                run.stderr
            );
        }
    }
    assert_eq!(
        log.count(),
        0,
        "a request reached the emulator despite a broken manifest"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn all_problems_are_reported_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("many.yaml");
    std::fs::write(
        &path,
        "stack: many\nfunctions:\n  memory: 1\n  timeout: 0\napi:\n  stage: 'a b'\n",
    )
    .unwrap();
    let run = run_baken(&["plan", "--no-build"], &path, "http://127.0.0.1:9").await;
    assert_eq!(run.code, 1);
    for key in ["`functions.memory`", "`functions.timeout`", "`api.stage`"] {
        assert!(run.stderr.contains(key), "{key} missing:\n{}", run.stderr);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_flag_exits_1_not_2() {
    let run = run_baken(
        &["deploy", "--mode", "prod"],
        std::path::Path::new("x.yaml"),
        "http://127.0.0.1:9",
    )
    .await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("invalid value 'prod' for '--mode"),
        "{}",
        run.stderr
    );
}

/// Files no editor shows as a manifest, and a manifest that would cost the machine: each is
/// refused at its place, before serde_yaml expands anything and before any request.
#[tokio::test(flavor = "multi_thread")]
async fn bytes_that_are_not_a_manifest_are_refused_at_their_place_within_bounds() {
    let (endpoint, log) = proxy::start(moto::url()).await;
    let dir = tempfile::tempdir().unwrap();
    let stack = format!("stack: {}\n", unique("bytes"));
    let utf16: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(stack.encode_utf16().flat_map(|u| u.to_le_bytes()))
        .collect();
    let big = format!("{stack}# {}\n", "x".repeat(300 * 1024));
    // One 200 KB string named once and repeated through aliases: 1.4 MB expanded.
    let heavy = format!(
        "{stack}handlers:\n  bedrock_model_id: &m {}\napi:\n  cors:\n    allow_headers: [*m, *m, *m, *m, *m, *m]\n",
        "a".repeat(200 * 1024)
    );
    // Nine levels of ten aliases each (the billion laughs): 10^9 nodes expanded, 90 aliases.
    let mut laughs = format!("{stack}x0: &a0 [lol]\n");
    for level in 1..10 {
        let refs = vec![format!("*a{}", level - 1); 10].join(", ");
        laughs.push_str(&format!("x{level}: &a{level} [{refs}]\n"));
    }
    let cases: Vec<(Vec<u8>, &str, &str)> = vec![
        (utf16, "the file is UTF-16", ":1:1"),
        (
            format!("{stack}region: ap-\u{0}\n").into_bytes(),
            "a NUL byte",
            ":2:12",
        ),
        (
            [stack.as_bytes(), b"region: \xff\n"].concat(),
            "the file is not UTF-8 (byte 0xFF)",
            ":2:9",
        ),
        (big.into_bytes(), "a manifest is at most 262144", ""),
        (heavy.into_bytes(), "aliases expand it beyond", ":6:"),
        (laughs.into_bytes(), "aliases expand it beyond", ""),
    ];
    for (i, (bytes, message, place)) in cases.iter().enumerate() {
        let path = dir.path().join(format!("bytes-{i}.yaml"));
        std::fs::write(&path, bytes).unwrap();
        let run = run_baken(&["status"], &path, &endpoint).await;
        assert_eq!(run.code, 1, "case {i}: {}", run.stderr);
        assert!(
            run.stderr.contains(message),
            "case {i}: `{message}` not in:\n{}",
            run.stderr
        );
        let at = format!("bytes-{i}.yaml{place}");
        assert!(
            run.stderr.contains(&at),
            "case {i}: `{at}` not in:\n{}",
            run.stderr
        );
    }
    assert_eq!(log.count(), 0, "a request reached the emulator");
}
