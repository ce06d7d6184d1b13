use std::net::SocketAddr;
use std::process::ExitCode;

use baken::model::FUNCTIONS;
use baken_handlers::{host, App, Config};

use super::args::DevArgs;
use super::error::{CliError, EXIT_OK};

pub async fn run(args: &DevArgs) -> Result<ExitCode, CliError> {
    let addr: SocketAddr = format!("{}:{}", args.host, args.port)
        .parse()
        .map_err(|e| {
            CliError::Dev(format!(
                "`{}:{}` is not an address to listen on: {e}",
                args.host, args.port
            ))
        })?;
    let config = Config {
        race_data_provider: if args.jravan_url.is_some() {
            "jravan".into()
        } else {
            "mock".into()
        },
        jravan_api_url: args.jravan_url.clone(),
        dynamodb_endpoint: args.dynamodb_endpoint.clone(),
        ..Config::from_env().map_err(|e| CliError::Dev(e.to_string()))?
    };
    let config = Config {
        cart_table: config.cart_table.clone().or(args
            .dynamodb_endpoint
            .as_ref()
            .map(|_| "baken-kaigi-cart".into())),
        session_table: config.session_table.clone().or(args
            .dynamodb_endpoint
            .as_ref()
            .map(|_| "baken-kaigi-consultation-session".into())),
        ..config
    };
    let app = App::from_config(&config)
        .await
        .map_err(|e| CliError::Dev(e.to_string()))?;
    let storage = match &config.cart_table {
        Some(t) => format!(
            "DynamoDB tables {t}, {}",
            config.session_table.as_deref().unwrap_or_default()
        ),
        None => "in memory".into(),
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
    println!("Ctrl-C stops it.");
    tokio::select! {
        _ = serve => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    Ok(ExitCode::from(EXIT_OK))
}
