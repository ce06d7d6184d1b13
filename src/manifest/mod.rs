//! The manifest: YAML → raw types (serde) → resolved model (validation). A bad manifest stops
//! everything before any AWS request.

mod cidr;
mod environments;
mod error;
mod locate;
pub mod raw;
mod text;
mod validate;

use std::path::Path;

pub use error::{Location, ManifestError, Problem};
pub use validate::{Cidr, LOG_RETENTION_DAYS};

use crate::model::Stack;

/// A manifest is a few kilobytes; this bounds what reading a wrong file costs.
pub const MAX_BYTES: usize = 256 * 1024;

/// Reads and validates the manifest at `path`.
pub fn load(path: &Path) -> Result<Stack, ManifestError> {
    load_env(path, None)
}

/// Reads and validates the manifest at `path` for the environment `env` (`--env`).
pub fn load_env(path: &Path, env: Option<&str>) -> Result<Stack, ManifestError> {
    let bytes = std::fs::read(path).map_err(|source| ManifestError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let text = decode(&bytes).map_err(|problem| ManifestError::Invalid {
        path: path.to_path_buf(),
        problems: vec![problem],
    })?;
    parse_env(path, text, env)
}

/// The manifest's bytes as text: at most `MAX_BYTES`, UTF-8, no NUL. Each refusal says where.
pub fn decode(bytes: &[u8]) -> Result<&str, Problem> {
    let at = |offset: usize, message: String| {
        let before = &bytes[..offset.min(bytes.len())];
        let line = before.iter().filter(|b| **b == b'\n').count() + 1;
        let start = before
            .iter()
            .rposition(|b| *b == b'\n')
            .map_or(0, |i| i + 1);
        let column = String::from_utf8_lossy(&before[start..]).chars().count() + 1;
        Problem {
            key: String::new(),
            location: Some(Location { line, column }),
            message,
        }
    };
    if bytes.len() > MAX_BYTES {
        return Err(at(
            MAX_BYTES,
            format!(
                "the file is {} bytes; a manifest is at most {MAX_BYTES}",
                bytes.len()
            ),
        ));
    }
    // UTF-16 starts with a byte-order mark, or has a NUL beside every ASCII character.
    let utf16 = bytes.starts_with(&[0xFF, 0xFE])
        || bytes.starts_with(&[0xFE, 0xFF])
        || (bytes.len() >= 2 && (bytes[0] == 0 || bytes[1] == 0));
    if utf16 {
        return Err(at(
            0,
            "the file is UTF-16 (or another wide encoding); save it as UTF-8".into(),
        ));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let bad = bytes[e.valid_up_to()];
        at(
            e.valid_up_to(),
            format!("the file is not UTF-8 (byte 0x{bad:02X}); save it as UTF-8"),
        )
    })?;
    if let Some(i) = text.find('\0') {
        return Err(at(i, "a NUL byte: a manifest is text".into()));
    }
    Ok(text)
}

/// Validates manifest text; `path` is used only in messages.
pub fn parse(path: &Path, text: &str) -> Result<Stack, ManifestError> {
    parse_env(path, text, None)
}

/// Validates manifest text for the environment `env`.
pub fn parse_env(path: &Path, text: &str, env: Option<&str>) -> Result<Stack, ManifestError> {
    let invalid = |problems| ManifestError::Invalid {
        path: path.to_path_buf(),
        problems,
    };
    // The screen runs first: serde_yaml would expand an alias bomb before any check.
    let mut locator = locate::Locator::new(text);
    if !locator.findings().is_empty() {
        return Err(invalid(locator.findings().to_vec()));
    }
    let raw: raw::RawManifest = serde_yaml::from_str(text).map_err(|e| {
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
    })?;
    // The environment laid over the rest: read into types again, as a whole manifest.
    let mut doc: serde_yaml::Value = serde_yaml::from_str(text).unwrap_or_default();
    let chosen =
        environments::choose(&mut doc, env, |k| locator.find(k)).map_err(|p| invalid(vec![p]))?;
    let raw = match &chosen {
        None => raw,
        Some(c) => serde_yaml::from_value(doc).map_err(|e| {
            invalid(vec![Problem {
                key: c.key.clone(),
                location: locator.find(&c.key),
                message: e.to_string(),
            }])
        })?,
    };
    if let Some(c) = &chosen {
        locator.overlaid_by(&c.key);
    }
    let mut stack = validate::resolve(raw, &locator).map_err(invalid)?;
    stack.environment = chosen.map(|c| crate::model::Environment {
        name: c.name,
        preview: c.preview,
    });
    Ok(stack)
}
