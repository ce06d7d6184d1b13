//! The real AWS CDK app baken replaces, deployed on moto the way the CDK CLI deploys it: its
//! templates are the ones `cdk synth` wrote (tests/fixtures/cdk-app/, unedited, with their
//! provenance); the CLI's bootstrap stack and bucket are made first, every asset of the asset
//! manifests is published to that bucket, and each stack is created from its template's object
//! (`TemplateURL`), as `cdk deploy` does whatever the template's size.
//!
//! The templates name everything after the app (`baken-kaigi-*`, `BakenKaigiApiStack`), so each
//! test deploys the app into an account of its own (`harness::Account`).

use aws_sdk_cloudformation::types::Capability;
use aws_sdk_ssm::types::ParameterType;
use serde_json::Value;

use crate::harness::{put_parameter_with, Account, REGION};

/// The CDK app's own names, which baken's default manifest gives too.
pub const APP: &str = "baken-kaigi";
pub const API_STACK: &str = "BakenKaigiApiStack";
pub const SERVER_STACK: &str = "JraVanServerStack";

/// `cdk synth` (mock) or `cdk synth --context jravan=true`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Synth {
    Mock,
    Jravan,
}

impl Synth {
    fn dir(self) -> std::path::PathBuf {
        crate::harness::checkout().join(match self {
            Synth::Mock => "tests/fixtures/cdk-app/mock",
            Synth::Jravan => "tests/fixtures/cdk-app/jravan",
        })
    }

    /// The stacks in the order `cdk deploy --all` creates them (dependencies first).
    pub fn stacks(self) -> &'static [&'static str] {
        match self {
            Synth::Mock => &[API_STACK],
            Synth::Jravan => &[SERVER_STACK, API_STACK],
        }
    }

    fn assets(self, stack: &str) -> Value {
        let path = self.dir().join(format!("{stack}.assets.json"));
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
    }
}

/// The bucket of the default bootstrap (qualifier `hnb659fds`), as the asset manifests name it.
pub fn bootstrap_bucket(account: &str) -> String {
    format!("cdk-hnb659fds-assets-{account}-{REGION}")
}

fn s3(config: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(config)
            .force_path_style(true)
            .build(),
    )
}

/// What `cdk bootstrap` leaves that the deploy reads: the `CDKToolkit` stack with its bucket
/// (output `BucketName`) and the bootstrap version parameter. The real bootstrap template also
/// makes roles and a repository that neither the app nor baken use.
async fn bootstrap(account: &Account) {
    let config = account.sdk().await;
    put_parameter_with(
        &config,
        "/cdk-bootstrap/hnb659fds/version",
        "21",
        ParameterType::String,
    )
    .await;
    let template = serde_json::json!({
        "Resources": {"StagingBucket": {"Type": "AWS::S3::Bucket", "Properties": {
            "BucketName": bootstrap_bucket(&account.id)
        }}},
        "Outputs": {"BucketName": {"Value": {"Ref": "StagingBucket"}}}
    });
    create_stack(&config, "CDKToolkit", Source::Body(template.to_string())).await;
}

enum Source {
    Body(String),
    Url(String),
}

async fn create_stack(config: &aws_config::SdkConfig, name: &str, source: Source) {
    let cf = aws_sdk_cloudformation::Client::new(config);
    let call = cf
        .create_stack()
        .stack_name(name)
        .capabilities(Capability::CapabilityIam)
        .capabilities(Capability::CapabilityNamedIam)
        .capabilities(Capability::CapabilityAutoExpand);
    let call = match source {
        Source::Body(b) => call.template_body(b),
        Source::Url(u) => call.template_url(u),
    };
    call.send().await.unwrap();
    let status = cf
        .describe_stacks()
        .stack_name(name)
        .send()
        .await
        .unwrap()
        .stacks()[0]
        .stack_status()
        .unwrap()
        .as_str()
        .to_string();
    assert_eq!(status, "CREATE_COMPLETE", "stack {name}");
}

/// A zip as the asset of a function or layer (the app's Python code is not part of the synth
/// output; Lambda on moto runs nothing).
fn asset_zip() -> Vec<u8> {
    use baken::package::zip::{write, Entry};
    write(&mut [Entry {
        name: "index.py",
        data: b"def handler(event, context):\n    return {}\n",
        unix_mode: 0o644,
    }])
    .unwrap()
}

/// Publishes every file asset of `stack`'s asset manifest to the bootstrap bucket, as
/// `cdk deploy` does before it creates the stack: the zips, and the template itself.
async fn publish(
    config: &aws_config::SdkConfig,
    account: &str,
    synth: Synth,
    stack: &str,
) -> String {
    let client = s3(config);
    let mut template_url = None;
    let assets = synth.assets(stack);
    for (_, asset) in assets["files"].as_object().unwrap() {
        let source = &asset["source"];
        let body = match source["packaging"].as_str().unwrap() {
            "zip" => asset_zip(),
            _ => std::fs::read(synth.dir().join(source["path"].as_str().unwrap())).unwrap(),
        };
        for (_, d) in asset["destinations"].as_object().unwrap() {
            let bucket = d["bucketName"]
                .as_str()
                .unwrap()
                .replace("${AWS::AccountId}", account);
            assert_eq!(bucket, bootstrap_bucket(account));
            let key = d["objectKey"].as_str().unwrap();
            client
                .put_object()
                .bucket(&bucket)
                .key(key)
                .body(body.clone().into())
                .send()
                .await
                .unwrap();
            if source["packaging"] == "file" {
                template_url = Some(format!("https://{bucket}.s3.{REGION}.amazonaws.com/{key}"));
            }
        }
    }
    template_url.expect("the asset manifest lists the template")
}

/// `cdk bootstrap`, then `cdk deploy` (`--all` for jravan) of the app into `account`.
pub async fn deploy(account: &Account, synth: Synth) {
    bootstrap(account).await;
    let config = account.sdk().await;
    for stack in synth.stacks() {
        let url = publish(&config, &account.id, synth, stack).await;
        create_stack(&config, stack, Source::Url(url)).await;
    }
}

/// The keys of the objects in the bootstrap bucket under `prefix`.
pub async fn bucket_keys(account: &Account, prefix: &str) -> Vec<String> {
    let out = s3(&account.sdk().await)
        .list_objects_v2()
        .bucket(bootstrap_bucket(&account.id))
        .prefix(prefix)
        .send()
        .await
        .unwrap();
    out.contents()
        .iter()
        .filter_map(|o| o.key().map(str::to_string))
        .collect()
}
