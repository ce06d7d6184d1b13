//! The Lambda entry point for all nine functions (custom runtime `provided.al2023`).

use baken_handlers::{host, App, Config};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    let config = Config::from_env()?;
    let app = App::from_config(&config).await?;
    host::lambda::run(app).await
}
