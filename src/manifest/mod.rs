//! The manifest: YAML → raw types (serde) → resolved model (validation). A bad manifest stops
//! everything before any AWS request.

mod error;
mod locate;
pub mod raw;
mod validate;

use std::path::Path;

pub use error::{Location, ManifestError, Problem};
pub use validate::{Cidr, LOG_RETENTION_DAYS};

use crate::model::Stack;

/// Reads and validates the manifest at `path`.
pub fn load(path: &Path) -> Result<Stack, ManifestError> {
    let text = std::fs::read_to_string(path).map_err(|source| ManifestError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse(path, &text)
}

/// Validates manifest text; `path` is used only in messages.
pub fn parse(path: &Path, text: &str) -> Result<Stack, ManifestError> {
    let invalid = |problems| ManifestError::Invalid {
        path: path.to_path_buf(),
        problems,
    };
    let raw: raw::RawManifest = if text.trim().is_empty() {
        raw::RawManifest::default()
    } else {
        serde_yaml::from_str(text).map_err(|e| {
            let location = e.location().map(|l| Location {
                line: l.line(),
                column: l.column(),
            });
            // The location is shown in front already; drop serde_yaml's own copy of it.
            let text = e.to_string();
            let message = match text.rfind(" at line ") {
                Some(i) if location.is_some() => text[..i].to_string(),
                _ => text,
            };
            invalid(vec![Problem {
                key: String::new(),
                location,
                message,
            }])
        })?
    };
    let locator = locate::Locator::new(text);
    validate::resolve(raw, &locator).map_err(invalid)
}
