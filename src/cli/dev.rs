//! `baken dev`: the whole API on one local port, with the handlers' own router.

use std::net::SocketAddr;
use std::process::ExitCode;

use baken::aws::AwsError;
use baken::model::FUNCTIONS;
use baken_handlers::{host, App, Config};

use super::args::DevArgs;
use super::error::{CliError, EXIT_OK};

/// The manifest's default region: a local emulator keeps tables per region, and baken deploys
/// there unless told otherwise.
const DEFAULT_REGION: &str = "ap-northeast-1";

pub async fn run(args: &DevArgs) -> Result<ExitCode, CliError> {
    let addr: SocketAddr = format!("{}:{}", args.host, args.port)
        .parse()
        .map_err(|e| {
            CliError::Dev(format!(
                "`{}:{}` is not an address to listen on: {e}",
                args.host, args.port
            ))
        })?;
    let env = Config::from_env().map_err(|e| CliError::Dev(e.to_string()))?;
    let dynamodb_region = args.dynamodb_endpoint.as_ref().map(|_| {
        args.dynamodb_region
            .clone()
            .or_else(|| std::env::var("AWS_REGION").ok())
            .or_else(|| std::env::var("AWS_DEFAULT_REGION").ok())
            .filter(|r| !r.is_empty())
            .unwrap_or_else(|| DEFAULT_REGION.to_string())
    });
    let table = |set: &Option<String>, default: &str| {
        set.clone()
            .or(args.dynamodb_endpoint.as_ref().map(|_| default.to_string()))
    };
    let config = Config {
        race_data_provider: if args.jravan_url.is_some() {
            "jravan".into()
        } else {
            "mock".into()
        },
        jravan_api_url: args.jravan_url.clone(),
        dynamodb_endpoint: args.dynamodb_endpoint.clone(),
        dynamodb_region: dynamodb_region.clone(),
        cart_table: table(&env.cart_table, "baken-kaigi-cart"),
        session_table: table(&env.session_table, "baken-kaigi-consultation-session"),
        ..env
    };
    if let (Some(url), Some(region)) = (&args.dynamodb_endpoint, &dynamodb_region) {
        for t in [&config.cart_table, &config.session_table]
            .into_iter()
            .flatten()
        {
            check_table(url, region, t).await?;
        }
    }
    let app = App::from_config(&config)
        .await
        .map_err(|e| CliError::Dev(e.to_string()))?;
    let storage = match (&config.cart_table, &args.dynamodb_endpoint) {
        (Some(t), Some(url)) => format!(
            "DynamoDB tables {t}, {} at {url} ({})",
            config.session_table.as_deref().unwrap_or_default(),
            dynamodb_region.as_deref().unwrap_or_default()
        ),
        (Some(t), None) => format!(
            "DynamoDB tables {t}, {}",
            config.session_table.as_deref().unwrap_or_default()
        ),
        (None, _) => "in memory".into(),
    };
    let (bound, serve) = host::local::bind(app, addr)
        .await
        .map_err(|e| CliError::Dev(format!("cannot listen on {addr}: {e}")))?;
    println!(
        "Baken Kaigi API on http://{bound} (race data: {}, storage: {storage})",
        config.race_data_provider
    );
    for f in FUNCTIONS {
        println!("  {:<7} http://{bound}{}", f.method, f.path);
    }
    println!("Ctrl-C stops it. Requests are logged on stderr.");
    tokio::select! {
        _ = serve => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    Ok(ExitCode::from(EXIT_OK))
}

/// Fails before serving when a table is not there (or the endpoint refuses us), instead of
/// answering every cart request with a 500.
async fn check_table(url: &str, region: &str, table: &str) -> Result<(), CliError> {
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(url)
        .region(aws_config::Region::new(region.to_string()))
        .load()
        .await;
    let client = aws_sdk_dynamodb::Client::new(&config);
    match client.describe_table().table_name(table).send().await {
        Ok(_) => Ok(()),
        Err(e) => {
            let e = AwsError::from_sdk("DescribeTable", format!("table {table}"), e);
            let hint = if e.code_is("ResourceNotFoundException") {
                format!("create it there first (`baken deploy --endpoint-url {url} --region {region}`), or name existing tables with CART_TABLE_NAME and SESSION_TABLE_NAME")
            } else {
                e.hint.clone().unwrap_or_else(|| {
                    "for a local emulator any credentials do: AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test".into()
                })
            };
            Err(CliError::Dev(format!(
                "--dynamodb-endpoint {url} (region {region}): {}{}\n  hint: {hint}",
                e.code
                    .as_deref()
                    .map(|c| format!("{c}: "))
                    .unwrap_or_default(),
                e.message
            )))
        }
    }
}
