//! The gateway instance's software, rendered from `windows-bootstrap/`: the first-boot user data
//! (`user-data.ps1`) and the Systems Manager Command document that installs the gateway code
//! (`install-gateway.ps1` with the bundled code). The user data never contains the code, so a code
//! change updates the running instance through Run Command instead of replacing it.

mod bundle;
mod template;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use base64::Engine as _;

pub use crate::desired::GatewaySoftware;
use crate::model::names::{
    bootstrap_status_parameter, gateway_document_name, gateway_health_parameter,
};
use crate::model::Stack;

/// EC2 refuses user data over 16 KB (before base64 encoding).
pub const USER_DATA_LIMIT: usize = 16 * 1024;
/// Systems Manager documents are limited to 64 KB.
pub const DOCUMENT_LIMIT: usize = 64 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum BootstrapError {
    #[error("cannot read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("windows-bootstrap/{template}: {message}")]
    Template { template: String, message: String },
    #[error("the rendered {what} is {size} bytes; AWS accepts at most {limit}\n  hint: {hint}")]
    TooLarge {
        what: &'static str,
        size: usize,
        limit: usize,
        hint: &'static str,
    },
}

fn read_template(dir: &Path, name: &str) -> Result<String, BootstrapError> {
    let path = dir.join(name);
    std::fs::read_to_string(&path).map_err(|source| BootstrapError::Io { path, source })
}

fn check_size(
    what: &'static str,
    text: &str,
    limit: usize,
    hint: &'static str,
) -> Result<(), BootstrapError> {
    if text.len() > limit {
        return Err(BootstrapError::TooLarge {
            what,
            size: text.len(),
            limit,
            hint,
        });
    }
    Ok(())
}

/// Renders the user data from `template` (the text of `user-data.ps1`).
pub fn render_user_data(template: &str, stack: &Stack) -> Result<String, BootstrapError> {
    let j = &stack.jravan;
    // The instance checks the installer's Authenticode signature; a pinned hash is checked too,
    // and an empty one is skipped.
    let python_sha256 = j.python_sha256.clone().unwrap_or_default();
    let values = BTreeMap::from([
        ("REGION", stack.region.clone()),
        ("STATUS_PARAMETER", bootstrap_status_parameter(&stack.name)),
        ("PYTHON_VERSION", j.python_version.clone()),
        ("PYTHON_SHA256", python_sha256),
        ("PORT", j.gateway_port.to_string()),
        ("VPC_CIDR", j.vpc_cidr.clone()),
        ("INSTALL_DOCUMENT", gateway_document_name(&stack.name)),
    ]);
    let user_data = template::fill("user-data.ps1", template, &values)?;
    check_size(
        "user data",
        &user_data,
        USER_DATA_LIMIT,
        "keep windows-bootstrap/user-data.ps1 to the first-boot steps; the gateway code goes in the install document",
    )?;
    Ok(user_data)
}

/// Renders the install document around the bundled gateway code.
fn render_document(
    template: &str,
    stack: &Stack,
    bundle: &[u8],
    bundle_sha256: &str,
) -> Result<String, BootstrapError> {
    let j = &stack.jravan;
    let values = BTreeMap::from([
        ("REGION", stack.region.clone()),
        ("PORT", j.gateway_port.to_string()),
        ("SERVICE_KEY_PARAMETER", j.service_key_parameter.clone()),
        ("HEALTH_PARAMETER", gateway_health_parameter(&stack.name)),
        // Empty without alerts: the gateway then puts no metric (nothing would watch it).
        (
            "HEARTBEAT_NAMESPACE",
            match stack.alerts {
                Some(_) => crate::model::names::heartbeat_namespace(&stack.name),
                None => String::new(),
            },
        ),
        ("BUNDLE_SHA256", bundle_sha256.to_string()),
        (
            "BUNDLE_BASE64",
            base64::engine::general_purpose::STANDARD.encode(bundle),
        ),
    ]);
    let script = template::fill("install-gateway.ps1", template, &values)?;
    let document = serde_json::json!({
        "schemaVersion": "2.2",
        "description": format!("Installs the baken JV-Link gateway {bundle_sha256} for stack {}", stack.name),
        "mainSteps": [{
            "action": "aws:runPowerShellScript",
            "name": "installGateway",
            "inputs": {
                "runCommand": script.lines().collect::<Vec<_>>(),
                "timeoutSeconds": "1800"
            }
        }]
    })
    .to_string();
    check_size(
        "install document",
        &document,
        DOCUMENT_LIMIT,
        "the gateway code (windows-bootstrap/gateway/baken_gateway) has outgrown a Systems Manager document",
    )?;
    Ok(document)
}

/// Renders everything from the `windows-bootstrap/` folder at `dir`.
pub fn render(dir: &Path, stack: &Stack) -> Result<GatewaySoftware, BootstrapError> {
    let user_data = render_user_data(&read_template(dir, "user-data.ps1")?, stack)?;
    let bundle = bundle::build(dir)?;
    let document = render_document(
        &read_template(dir, "install-gateway.ps1")?,
        stack,
        &bundle.bytes,
        &bundle.sha256_hex,
    )?;
    Ok(GatewaySoftware {
        user_data_sha256: crate::resource::hash::sha256_hex(user_data.as_bytes()),
        user_data,
        document,
        bundle_sha256: bundle.sha256_hex,
    })
}

/// The install script inside a rendered document, as PowerShell text.
pub fn document_script(document: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(document).ok()?;
    let lines = v["mainSteps"][0]["inputs"]["runCommand"].as_array()?;
    Some(
        lines
            .iter()
            .filter_map(|l| l.as_str())
            .collect::<Vec<_>>()
            .join("\n"),
    )
}
