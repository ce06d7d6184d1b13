//! `baken cost`: a monthly estimate computed from the validated manifest and the price list in
//! `prices.yaml`, so the cost of jravan mode can be seen before deploying.

mod estimate;
mod prices;

pub use estimate::{estimate, Estimate, Line, RaceDays};
pub use prices::{Assumptions, PriceList, RegionPrices};

#[derive(Debug, thiserror::Error)]
pub enum CostError {
    #[error("no prices for region {region} (src/cost/prices.yaml has {known})\n  hint: add the region's figures to src/cost/prices.yaml, or estimate with --region ap-northeast-1")]
    Region { region: String, known: String },
    #[error("no price for {what} `{key}` in region {region} (src/cost/prices.yaml lists {known})\n  hint: add its price to src/cost/prices.yaml")]
    Missing {
        what: &'static str,
        key: String,
        region: String,
        known: String,
    },
}
