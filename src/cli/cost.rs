//! `baken cost`: the monthly estimate, as a table or JSON.

use std::process::ExitCode;

use baken::cost::{estimate, Estimate, PriceList};

use super::args::CostArgs;
use super::context::{load_stack, mode};
use super::error::{CliError, EXIT_OK};
use super::output::print_json;

pub fn run(args: &CostArgs) -> Result<ExitCode, CliError> {
    let stack = load_stack(&args.source)?;
    let (mode, _) = mode(&stack, args.mode)?;
    let e = estimate(&stack, mode, args.requests_per_month, &PriceList::builtin())?;
    if args.format.json() {
        let mut doc = serde_json::to_value(&e).unwrap_or_default();
        doc["stack"] = stack.name.clone().into();
        print_json(&doc);
    } else {
        print!("{}", text(&stack.name, &e));
    }
    Ok(ExitCode::from(EXIT_OK))
}

fn text(stack: &str, e: &Estimate) -> String {
    let mut out = format!(
        "Monthly estimate for stack {stack} ({} mode, {}), at {} API requests a month, USD:\n",
        e.mode.as_str(),
        e.region,
        e.requests_per_month
    );
    for l in &e.lines {
        let quantity = format!("{} {} × {}", round(l.quantity), l.unit, l.unit_usd);
        out.push_str(&format!(
            "  {:<42} {:>36} {:>9.2}\n",
            l.item, quantity, l.monthly_usd
        ));
    }
    let total = match &e.gateway_schedule {
        Some(s) => format!("Total, the gateway instance running on its schedule ({s})"),
        None => "Total, everything running all month".to_string(),
    };
    out.push_str(&format!("  {total:<79} {:>9.2}\n", e.total_usd));
    if let Some(r) = &e.race_days {
        out.push_str(&format!(
            "  {:<79} {:>9.2}\n",
            format!(
                "Total, gateway instance running on race days only ({:.0} h)",
                r.instance_hours
            ),
            r.total_usd
        ));
    }
    out.push_str(&format!(
        "Prices recorded {} (src/cost/prices.yaml, each with its source); prices change, so check them.\nNot included: the free tier, data transfer, storage of items and logs, taxes.\n",
        e.prices_recorded
    ));
    out
}

/// Quantities as a person reads them: whole numbers whole, small ones with a few digits.
fn round(q: f64) -> String {
    if q.fract() == 0.0 {
        format!("{q:.0}")
    } else if q >= 100.0 {
        format!("{q:.1}")
    } else {
        format!("{q:.4}")
    }
}
