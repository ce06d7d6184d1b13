//! A stack under test: its own name, manifest, counting proxy and a small artefact, and the
//! `baken` binary run against moto through the proxy.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use aws_config::{BehaviorVersion, Region, SdkConfig};

use crate::{moto, proxy};

pub const REGION: &str = "ap-northeast-1";
pub const ACCOUNT: &str = "123456789012";

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\n{}",
                self.stdout, self.stderr
            )
        })
    }

    #[track_caller]
    pub fn expect_code(&self, code: i32) -> &Run {
        assert_eq!(
            self.code, code,
            "exit code\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

pub struct TestStack {
    pub name: String,
    pub dir: tempfile::TempDir,
    pub manifest: PathBuf,
    pub endpoint: String,
    pub log: proxy::Log,
    pub artifact: PathBuf,
    /// An account of the stack's own (None: moto's default account, shared by the tests).
    pub account: Option<Account>,
}

/// Credentials for an account of a test's own on moto: AssumeRole into a role ARN of that
/// account (moto's documented way to switch accounts; the role need not exist). For tests whose
/// names are fixed (the real CDK app's), so that no other test meets them.
#[derive(Clone, Debug)]
pub struct Account {
    pub id: String,
    pub key: String,
    pub secret: String,
    pub token: String,
}

impl Account {
    pub async fn new(id: &str) -> Account {
        let out = aws_sdk_sts::Client::new(&sdk().await)
            .assume_role()
            .role_arn(format!("arn:aws:iam::{id}:role/baken-tests"))
            .role_session_name("baken-tests")
            .send()
            .await
            .unwrap();
        let c = out.credentials().unwrap();
        Account {
            id: id.to_string(),
            key: c.access_key_id().to_string(),
            secret: c.secret_access_key().to_string(),
            token: c.session_token().to_string(),
        }
    }

    fn envs(&self) -> [(&'static str, &str); 3] {
        [
            ("AWS_ACCESS_KEY_ID", &self.key),
            ("AWS_SECRET_ACCESS_KEY", &self.secret),
            ("AWS_SESSION_TOKEN", &self.token),
        ]
    }

    /// SDK configuration straight to moto in this account.
    pub async fn sdk(&self) -> SdkConfig {
        config_with(aws_sdk_dynamodb::config::Credentials::new(
            &self.key,
            &self.secret,
            Some(self.token.clone()),
            None,
            "tests",
        ))
        .await
    }
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A stack name no other test (or earlier run against the same emulator) uses.
pub fn unique(prefix: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("{prefix}-{:x}{n}", t % 0xfffff)
}

/// A tiny but real Lambda package: a `bootstrap` that exits. Lambda on moto never runs it.
pub fn write_artifact(dir: &std::path::Path, body: &str) -> PathBuf {
    let path = dir.join("bootstrap");
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    path
}

impl TestStack {
    pub async fn new(prefix: &str) -> TestStack {
        Self::with_manifest(prefix, "").await
    }

    /// `extra` is YAML appended after `stack:`.
    pub async fn with_manifest(prefix: &str, extra: &str) -> TestStack {
        Self::build(unique(prefix), extra, None).await
    }

    /// A stack named `name` exactly, in an account of its own.
    pub async fn in_account(name: &str, extra: &str, account: Account) -> TestStack {
        Self::build(name.to_string(), extra, Some(account)).await
    }

    async fn build(name: String, extra: &str, account: Option<Account>) -> TestStack {
        let dir = tempfile::tempdir().unwrap();
        let manifest = dir.path().join("baken.yaml");
        std::fs::write(
            &manifest,
            format!("stack: {name}\nregion: {REGION}\n{extra}"),
        )
        .unwrap();
        let (endpoint, log) = proxy::start(moto::url()).await;
        let artifact = write_artifact(dir.path(), "exit 0");
        // What a jravan user creates once before deploying (deploy refuses without it); made
        // straight on moto, so it is not among the requests the proxy records.
        let secure = aws_sdk_ssm::types::ParameterType::SecureString;
        let config = match &account {
            Some(a) => a.sdk().await,
            None => sdk().await,
        };
        put_parameter_with(
            &config,
            &service_key_parameter(&name),
            "TEST-SERVICE-KEY",
            secure,
        )
        .await;
        TestStack {
            name,
            dir,
            manifest,
            endpoint,
            log,
            artifact,
            account,
        }
    }

    /// SDK configuration straight to moto, in the stack's account.
    pub async fn sdk(&self) -> SdkConfig {
        match &self.account {
            Some(a) => a.sdk().await,
            None => sdk().await,
        }
    }

    fn envs<'a>(&'a self, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
        let mut all: Vec<(&str, &str)> = self.account.iter().flat_map(|a| a.envs()).collect();
        all.extend_from_slice(extra);
        all
    }

    pub fn set_manifest(&self, extra: &str) {
        std::fs::write(
            &self.manifest,
            format!("stack: {}\nregion: {REGION}\n{extra}", self.name),
        )
        .unwrap();
    }

    /// Runs `baken <args> --manifest M --endpoint-url PROXY` with test credentials.
    pub async fn baken(&self, args: &[&str]) -> Run {
        self.baken_env(args, &[]).await
    }

    pub async fn deploy(&self) -> Run {
        self.deploy_with(&[]).await
    }

    /// `deploy --yes --artifact <the small artefact>` and `extra`.
    pub async fn deploy_with(&self, extra: &[&str]) -> Run {
        let mut args = vec![
            "deploy",
            "--yes",
            "--artifact",
            self.artifact.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        self.baken(&args).await
    }

    pub fn table(&self, which: &str) -> String {
        format!("{}-{which}", self.name)
    }

    pub fn function(&self, suffix: &str) -> String {
        format!("{}-{suffix}", self.name)
    }

    /// The id of the stack's REST API as API Gateway lists it (read with the SDK).
    pub async fn api_id(&self) -> String {
        let gw = aws_sdk_apigateway::Client::new(&sdk().await);
        let apis = gw.get_rest_apis().limit(500).send().await.unwrap();
        let name = format!("{}-api", self.name);
        apis.items()
            .iter()
            .find(|a| a.name() == Some(name.as_str()))
            .and_then(|a| a.id())
            .expect("the stack's REST API exists")
            .to_string()
    }

    /// Every resource of REST API `api_id`, with its methods (read with the SDK).
    pub async fn api_resources(&self, api_id: &str) -> Vec<aws_sdk_apigateway::types::Resource> {
        aws_sdk_apigateway::Client::new(&sdk().await)
            .get_resources()
            .rest_api_id(api_id)
            .embed("methods")
            .limit(500)
            .send()
            .await
            .unwrap()
            .items()
            .to_vec()
    }
}

pub async fn run_baken(args: &[&str], manifest: &std::path::Path, endpoint: &str) -> Run {
    run_with(args, manifest, &["--endpoint-url", endpoint], &[]).await
}

/// A command that makes no AWS call (`cost`): the manifest only, no endpoint flag.
pub async fn run_offline(args: &[&str], manifest: &std::path::Path) -> Run {
    run_with(args, manifest, &[], &[]).await
}

impl TestStack {
    /// `baken <args>` against the stack's proxy with `envs` added to the test credentials.
    pub async fn baken_env(&self, args: &[&str], envs: &[(&str, &str)]) -> Run {
        run_with(
            args,
            &self.manifest,
            &["--endpoint-url", &self.endpoint],
            &self.envs(envs),
        )
        .await
    }
}

impl TestStack {
    /// `baken <args>` against the stack's proxy, started and not waited for (a test that kills
    /// it midway).
    pub fn spawn(&self, args: &[&str]) -> tokio::process::Child {
        self.spawn_env(args, &[])
    }

    /// `spawn` with `envs` added.
    pub fn spawn_env(&self, args: &[&str], envs: &[(&str, &str)]) -> tokio::process::Child {
        command(
            args,
            &self.manifest,
            &["--endpoint-url", &self.endpoint],
            &self.envs(envs),
        )
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("baken starts")
    }
}

fn command(
    args: &[&str],
    manifest: &std::path::Path,
    extra: &[&str],
    envs: &[(&str, &str)],
) -> tokio::process::Command {
    let mut c = tokio::process::Command::new(env!("CARGO_BIN_EXE_baken"));
    c.args(args)
        .arg("--manifest")
        .arg(manifest)
        .args(extra)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL")
        // moto has no quotas: the limits run at 20× AWS's rates, except where a test says
        // otherwise (tests/suite/rate_limits.rs holds baken to AWS's own).
        .env("BAKEN_RATE_SCALE", "20")
        .envs(envs.iter().copied())
        .stdin(std::process::Stdio::null());
    c
}

async fn run_with(
    args: &[&str],
    manifest: &std::path::Path,
    extra: &[&str],
    envs: &[(&str, &str)],
) -> Run {
    let out = command(args, manifest, extra, envs)
        .output()
        .await
        .expect("baken runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The checkout under test. Read when the test runs (cargo sets it then too), not baked in at
/// compile time: the target directory is shared between checkouts at different paths (the work
/// tree and CI's clone), and a test binary built in one may run in the other.
pub fn checkout() -> std::path::PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")))
}

/// Writes a Systems Manager parameter straight to moto, as a user or the instance would.
pub async fn put_parameter(name: &str, value: &str, kind: aws_sdk_ssm::types::ParameterType) {
    put_parameter_with(&sdk().await, name, value, kind).await
}

pub async fn put_parameter_with(
    config: &SdkConfig,
    name: &str,
    value: &str,
    kind: aws_sdk_ssm::types::ParameterType,
) {
    aws_sdk_ssm::Client::new(config)
        .put_parameter()
        .name(name)
        .r#type(kind)
        .value(value)
        .overwrite(true)
        .send()
        .await
        .unwrap();
}

/// The stack's JRA-VAN service-key parameter at its default name.
pub async fn put_service_key(stack: &str) {
    let secure = aws_sdk_ssm::types::ParameterType::SecureString;
    put_parameter(&service_key_parameter(stack), "TEST-SERVICE-KEY", secure).await;
}

pub fn service_key_parameter(stack: &str) -> String {
    format!("/baken/{stack}/jravan-service-key")
}

/// SDK configuration straight to moto (not through a proxy): the tests' own reads.
pub async fn sdk() -> SdkConfig {
    config_with(aws_sdk_dynamodb::config::Credentials::new(
        "testing", "testing", None, None, "tests",
    ))
    .await
}

async fn config_with(credentials: aws_sdk_dynamodb::config::Credentials) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .endpoint_url(moto::url())
        .credentials_provider(credentials)
        .load()
        .await
}
