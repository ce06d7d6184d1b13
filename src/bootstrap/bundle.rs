//! The gateway bundle: the Python package and its hashed lock file, zipped byte-reproducibly so
//! the same code always has the same hash (and an unchanged gateway is never pushed again).

use std::path::Path;

use super::BootstrapError;
use crate::package::zip;

pub struct Bundle {
    pub bytes: Vec<u8>,
    pub sha256_hex: String,
}

fn read(path: &Path) -> Result<Vec<u8>, BootstrapError> {
    std::fs::read(path).map_err(|source| BootstrapError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Zips `gateway/baken_gateway/*.py` and `gateway/requirements.lock` from `dir`.
pub fn build(dir: &Path) -> Result<Bundle, BootstrapError> {
    let package = dir.join("gateway/baken_gateway");
    let listing = std::fs::read_dir(&package).map_err(|source| BootstrapError::Io {
        path: package.clone(),
        source,
    })?;
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    for entry in listing.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".py") {
            files.push((format!("baken_gateway/{name}"), read(&entry.path())?));
        }
    }
    files.push((
        "requirements.lock".into(),
        read(&dir.join("gateway/requirements.lock"))?,
    ));
    let mut entries: Vec<zip::Entry<'_>> = files
        .iter()
        .map(|(name, data)| zip::Entry {
            name,
            data,
            unix_mode: 0o644,
        })
        .collect();
    let bytes = zip::write(&mut entries).map_err(|source| BootstrapError::Io {
        path: package,
        source,
    })?;
    let sha256_hex = crate::resource::hash::sha256_hex(&bytes);
    Ok(Bundle { bytes, sha256_hex })
}
