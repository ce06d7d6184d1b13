//! The price list: `prices.yaml`, compiled in, one entry per region.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::CostError;

const PRICES: &str = include_str!("prices.yaml");

/// One figure and where it comes from.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Figure {
    pub what: String,
    pub source: String,
    pub usd: f64,
}

/// Figures keyed by instance type, volume type or architecture.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Table {
    pub what: String,
    pub source: String,
    pub usd: BTreeMap<String, f64>,
}

impl Table {
    pub fn get(&self, key: &str, what: &'static str, region: &str) -> Result<f64, CostError> {
        self.usd
            .get(key)
            .copied()
            .ok_or_else(|| CostError::Missing {
                what,
                key: key.to_string(),
                region: region.to_string(),
                known: self.usd.keys().cloned().collect::<Vec<_>>().join(", "),
            })
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RegionPrices {
    pub recorded: String,
    pub instance_hour_windows: Table,
    pub ebs_gb_month: Table,
    pub public_ipv4_hour: Figure,
    pub gateway_endpoint_hour: Figure,
    pub interface_endpoint_zone_hour: Figure,
    pub alarm_month: Figure,
    pub custom_metric_month: Figure,
    pub lambda_million_requests: Figure,
    pub lambda_gb_second: Table,
    pub rest_api_million_requests: Figure,
    pub dynamodb_million_reads: Figure,
    pub dynamodb_million_writes: Figure,
    pub logs_ingested_gb: Figure,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Assumptions {
    pub hours_per_month: f64,
    pub lambda_ms_per_request: f64,
    pub log_bytes_per_request: f64,
    pub dynamodb_reads_per_request: f64,
    pub dynamodb_writes_per_request: f64,
    pub race_days_per_week: f64,
}

#[derive(Debug, Clone)]
pub struct PriceList {
    pub regions: BTreeMap<String, RegionPrices>,
    pub assumptions: Assumptions,
}

impl PriceList {
    /// The list shipped with baken. It is checked by a unit test, so a broken file never ships.
    pub fn builtin() -> PriceList {
        PriceList::parse(PRICES).expect("src/cost/prices.yaml is valid (unit-tested)")
    }

    pub fn parse(text: &str) -> Result<PriceList, serde_yaml::Error> {
        let mut all: BTreeMap<String, serde_yaml::Value> = serde_yaml::from_str(text)?;
        let assumptions = serde_yaml::from_value(all.remove("assumptions").unwrap_or_default())?;
        let regions = all
            .into_iter()
            .map(|(region, v)| Ok((region, serde_yaml::from_value(v)?)))
            .collect::<Result<_, serde_yaml::Error>>()?;
        Ok(PriceList {
            regions,
            assumptions,
        })
    }

    pub fn region(&self, region: &str) -> Result<&RegionPrices, CostError> {
        self.regions.get(region).ok_or_else(|| CostError::Region {
            region: region.to_string(),
            known: self.regions.keys().cloned().collect::<Vec<_>>().join(", "),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_price_list_parses_and_names_its_sources() {
        let list = PriceList::parse(PRICES).unwrap();
        let tokyo = list.region("ap-northeast-1").unwrap();
        assert!(tokyo.instance_hour_windows.usd.contains_key("t3.small"));
        assert!(tokyo
            .public_ipv4_hour
            .source
            .starts_with("https://aws.amazon.com/"));
        assert!(list.region("eu-west-1").is_err());
    }
}
