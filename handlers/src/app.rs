//! The application: race data, storage and advisor behind their interfaces, and the settings
//! the routes need. Built once per process (a Lambda cold start, or `baken dev`).

use std::sync::Arc;

use crate::advisor::rule_based::RuleBasedAdvisor;
use crate::advisor::Advisor;
use crate::races::mock::MockRaces;
use crate::races::RaceProvider;
use crate::store::dynamo::DynamoStore;
use crate::store::memory::MemoryStore;
use crate::store::Store;

pub struct App {
    pub races: Arc<dyn RaceProvider>,
    pub store: Arc<dyn Store>,
    pub advisor: Arc<dyn Advisor>,
    /// The highest amount one bet may have (yen).
    pub max_bet_amount: i64,
}

pub const DEFAULT_MAX_BET_AMOUNT: i64 = 1_000_000;

/// Where the settings come from: the environment variables of system.md in Lambda, flags in
/// `baken dev`.
#[derive(Debug, Clone, Default)]
pub struct Config {
    pub race_data_provider: String,
    pub jravan_api_url: Option<String>,
    pub cart_table: Option<String>,
    pub session_table: Option<String>,
    /// A DynamoDB endpoint other than AWS's (local emulators).
    pub dynamodb_endpoint: Option<String>,
    pub max_bet_amount: Option<i64>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("RACE_DATA_PROVIDER must be `mock` or `jravan`, got `{0}`")]
    UnknownProvider(String),
    #[error("RACE_DATA_PROVIDER=jravan needs JRAVAN_API_URL")]
    MissingGatewayUrl,
    #[error("the jravan race provider is not part of this build yet; use RACE_DATA_PROVIDER=mock")]
    JravanUnavailable,
    #[error("CART_TABLE_NAME and SESSION_TABLE_NAME must be set together")]
    HalfATableSet,
    #[error(
        "MAX_BET_AMOUNT must be a whole number of yen, at least 100, in steps of 100; got `{0}`"
    )]
    BadMaxBet(String),
}

impl Config {
    pub fn from_env() -> Result<Config, ConfigError> {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let max_bet_amount = match var("MAX_BET_AMOUNT") {
            None => None,
            Some(v) => Some(
                v.parse::<i64>()
                    .ok()
                    .filter(|a| *a >= 100 && a % 100 == 0)
                    .ok_or(ConfigError::BadMaxBet(v))?,
            ),
        };
        Ok(Config {
            race_data_provider: var("RACE_DATA_PROVIDER").unwrap_or_else(|| "mock".into()),
            jravan_api_url: var("JRAVAN_API_URL"),
            cart_table: var("CART_TABLE_NAME"),
            session_table: var("SESSION_TABLE_NAME"),
            dynamodb_endpoint: var("DYNAMODB_ENDPOINT"),
            max_bet_amount,
        })
    }
}

impl App {
    pub async fn from_config(config: &Config) -> Result<App, ConfigError> {
        let races: Arc<dyn RaceProvider> = match config.race_data_provider.as_str() {
            "mock" => Arc::new(MockRaces),
            "jravan" if config.jravan_api_url.is_none() => {
                return Err(ConfigError::MissingGatewayUrl)
            }
            "jravan" => return Err(ConfigError::JravanUnavailable),
            other => return Err(ConfigError::UnknownProvider(other.into())),
        };
        let store: Arc<dyn Store> = match (&config.cart_table, &config.session_table) {
            (Some(cart), Some(session)) => {
                let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
                if let Some(url) = &config.dynamodb_endpoint {
                    loader = loader.endpoint_url(url);
                }
                let client = aws_sdk_dynamodb::Client::new(&loader.load().await);
                Arc::new(DynamoStore::new(client, cart.clone(), session.clone()))
            }
            (None, None) => Arc::new(MemoryStore::default()),
            _ => return Err(ConfigError::HalfATableSet),
        };
        Ok(App {
            races,
            store,
            advisor: Arc::new(RuleBasedAdvisor),
            max_bet_amount: config.max_bet_amount.unwrap_or(DEFAULT_MAX_BET_AMOUNT),
        })
    }

    /// Mock races, memory store, rule-based advisor: what tests and `baken dev` start from.
    pub fn in_memory() -> App {
        App {
            races: Arc::new(MockRaces),
            store: Arc::new(MemoryStore::default()),
            advisor: Arc::new(RuleBasedAdvisor),
            max_bet_amount: DEFAULT_MAX_BET_AMOUNT,
        }
    }
}
