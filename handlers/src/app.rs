//! The application: race data, storage and advisor behind their interfaces, and the settings
//! the routes need. Built once per process (a Lambda cold start, or `baken dev`).

use std::sync::Arc;

use crate::advisor::bedrock::BedrockAdvisor;
use crate::advisor::rule_based::RuleBasedAdvisor;
use crate::advisor::Advisor;
use crate::races::jravan::JravanRaces;
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

/// Where the settings come from: the environment variables of docs/design.md in Lambda, flags in
/// `baken dev`.
#[derive(Debug, Clone)]
pub struct Config {
    pub race_data_provider: String,
    pub jravan_api_url: Option<String>,
    /// When the gateway runs (`GATEWAY_SCHEDULE`: start|stop|time zone); None: always.
    pub gateway_schedule: Option<crate::schedule::Schedule>,
    pub cart_table: Option<String>,
    pub session_table: Option<String>,
    /// A DynamoDB endpoint other than AWS's (local emulators).
    pub dynamodb_endpoint: Option<String>,
    /// The region of the tables at `dynamodb_endpoint`; None: the SDK's own chain (AWS_REGION).
    pub dynamodb_region: Option<String>,
    pub max_bet_amount: Option<i64>,
    /// `rule-based` (default) or `bedrock`.
    pub advisor: String,
    pub bedrock_model_id: Option<String>,
    /// A Bedrock endpoint other than AWS's (a local fake in tests).
    pub bedrock_endpoint: Option<String>,
    /// How long the language model may take before the rule-based answer is used.
    pub advisor_timeout: std::time::Duration,
}

/// Inside the 30 s Lambda limit with room for the rest of the request.
pub const DEFAULT_ADVISOR_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(8);

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("RACE_DATA_PROVIDER must be `mock` or `jravan`, got `{0}`")]
    UnknownProvider(String),
    #[error("RACE_DATA_PROVIDER=jravan needs JRAVAN_API_URL")]
    MissingGatewayUrl,
    #[error("CART_TABLE_NAME and SESSION_TABLE_NAME must be set together")]
    HalfATableSet,
    #[error("ADVISOR must be `rule-based` or `bedrock`, got `{0}`")]
    UnknownAdvisor(String),
    #[error("ADVISOR=bedrock needs BEDROCK_MODEL_ID")]
    MissingModel,
    #[error("GATEWAY_SCHEDULE: {0}")]
    BadSchedule(String),
    #[error("ADVISOR_TIMEOUT_MS must be a whole number of milliseconds, got `{0}`")]
    BadTimeout(String),
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
            gateway_schedule: match var("GATEWAY_SCHEDULE") {
                None => None,
                Some(v) => Some(
                    crate::schedule::decode(&v)
                        .map_err(|e| ConfigError::BadSchedule(e.to_string()))?,
                ),
            },
            cart_table: var("CART_TABLE_NAME"),
            session_table: var("SESSION_TABLE_NAME"),
            dynamodb_endpoint: var("DYNAMODB_ENDPOINT"),
            dynamodb_region: None,
            max_bet_amount,
            advisor: var("ADVISOR").unwrap_or_else(|| "rule-based".into()),
            bedrock_model_id: var("BEDROCK_MODEL_ID"),
            bedrock_endpoint: var("BEDROCK_ENDPOINT"),
            advisor_timeout: match var("ADVISOR_TIMEOUT_MS") {
                None => DEFAULT_ADVISOR_TIMEOUT,
                Some(v) => std::time::Duration::from_millis(
                    v.parse().map_err(|_| ConfigError::BadTimeout(v))?,
                ),
            },
        })
    }
}

impl App {
    pub async fn from_config(config: &Config) -> Result<App, ConfigError> {
        let races: Arc<dyn RaceProvider> = match config.race_data_provider.as_str() {
            "mock" => Arc::new(MockRaces),
            "jravan" => match &config.jravan_api_url {
                Some(url) => Arc::new(JravanRaces::new(url, config.gateway_schedule.clone())),
                None => return Err(ConfigError::MissingGatewayUrl),
            },
            other => return Err(ConfigError::UnknownProvider(other.into())),
        };
        let store: Arc<dyn Store> = match (&config.cart_table, &config.session_table) {
            (Some(cart), Some(session)) => {
                let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
                if let Some(url) = &config.dynamodb_endpoint {
                    loader = loader.endpoint_url(url);
                }
                if let Some(region) = &config.dynamodb_region {
                    loader = loader.region(aws_config::Region::new(region.clone()));
                }
                let client = aws_sdk_dynamodb::Client::new(&loader.load().await);
                Arc::new(DynamoStore::new(client, cart.clone(), session.clone()))
            }
            (None, None) => Arc::new(MemoryStore::default()),
            _ => return Err(ConfigError::HalfATableSet),
        };
        let advisor: Arc<dyn Advisor> = match config.advisor.as_str() {
            "rule-based" => Arc::new(RuleBasedAdvisor),
            "bedrock" => {
                let model = config
                    .bedrock_model_id
                    .clone()
                    .ok_or(ConfigError::MissingModel)?;
                let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
                    // One retry at most: the advisor has a deadline and a fall-back.
                    .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(2));
                if let Some(url) = &config.bedrock_endpoint {
                    loader = loader.endpoint_url(url);
                }
                let client = aws_sdk_bedrockruntime::Client::new(&loader.load().await);
                Arc::new(BedrockAdvisor::new(client, model, config.advisor_timeout))
            }
            other => return Err(ConfigError::UnknownAdvisor(other.into())),
        };
        Ok(App {
            races,
            store,
            advisor,
            max_bet_amount: config.max_bet_amount.unwrap_or(DEFAULT_MAX_BET_AMOUNT),
        })
    }
}
