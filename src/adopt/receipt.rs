//! The receipt: everything an adoption needs to continue after a crash, written before the first
//! change and after every step. It holds the stacks as they were read (their resources with
//! physical ids, and their original templates, so a stack could be re-created by hand), the
//! fate of each resource, the backups made and the steps done. `--cleanup` removes only what the
//! receipt lists as replaced: it never guesses by name.
//!
//! It is kept in two places (`Keeper`): in the account, as an item of the stack's lock table
//! (compressed: the CDK app's templates alone are 100 KB, DynamoDB's item limit is 400 KB), so
//! an adoption started in a CI job that was cancelled continues from a fresh checkout; and as a
//! file beside the manifest, a copy to read and to keep.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::Disposition;
use crate::aws::cloudformation::StackFacts;
use crate::aws::s3::Object;
use crate::aws::{lock, AwsError, Clients};
use crate::model::Mode;

/// Bumped when the receipt's shape changes incompatibly.
pub const FORMAT: u32 = 1;

/// One step of an adoption, in the order they are done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step", content = "stack", rename_all = "kebab-case")]
pub enum Step {
    BackedUp,
    Retained(String),
    Deleted(String),
    Tagged,
    Deployed,
    /// jravan: the functions moved to baken's network and gateway.
    CutOver,
    CleanedUp,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Receipt {
    pub format: u32,
    /// The baken stack the resources go to.
    pub baken_stack: String,
    pub account: String,
    pub region: String,
    pub mode: Mode,
    /// The CloudFormation stacks, in the order they are deleted.
    pub stacks: Vec<StackFacts>,
    pub resources: Vec<Disposition>,
    /// Table → the ARN of its on-demand backup.
    pub backups: BTreeMap<String, String>,
    pub done: Vec<Step>,
    /// The CDK bootstrap bucket retain templates too large to go inline are put in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template_bucket: Option<String>,
    /// Stack → the retain template baken put in the bucket and has not removed yet.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub uploads: BTreeMap<String, Object>,
}

#[derive(Debug, thiserror::Error)]
pub enum ReceiptError {
    #[error("cannot read the adoption receipt {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the adoption receipt {path} is not one baken can read ({reason})\n  hint: it was written by another baken version, or edited; keep it, and adopt by hand from it (docs/adopt.md)")]
    Parse { path: PathBuf, reason: String },
    #[error("cannot write the adoption receipt {path}: {source}\n  hint: nothing was changed after the last step it records; make the folder writable, or pass --receipt PATH")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the adoption receipt kept in the account is not one baken can read ({reason})\n  hint: it was written by another baken version; the file beside the manifest is a copy")]
    Stored { reason: String },
    /// Boxed: an AWS error is large, and every command's error carries this one.
    #[error(transparent)]
    Aws(Box<AwsError>),
}

impl From<AwsError> for ReceiptError {
    fn from(e: AwsError) -> Self {
        ReceiptError::Aws(Box::new(e))
    }
}

impl Receipt {
    pub fn is_done(&self, step: &Step) -> bool {
        self.done.contains(step)
    }

    pub fn stack_names(&self) -> Vec<String> {
        self.stacks.iter().map(|s| s.name.clone()).collect()
    }

    /// Reads the receipt at `path`; None when there is none.
    pub fn load(path: &Path) -> Result<Option<Receipt>, ReceiptError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(ReceiptError::Read {
                    path: path.to_path_buf(),
                    source,
                })
            }
        };
        let parse_error = |reason: String| ReceiptError::Parse {
            path: path.to_path_buf(),
            reason,
        };
        Receipt::parse(text.as_bytes(), parse_error).map(Some)
    }

    /// Writes the receipt whole to a temporary file beside it, then renames it over the old one:
    /// a crash mid-write leaves the previous receipt, never half of one.
    pub fn save(&self, path: &Path) -> Result<(), ReceiptError> {
        let write_error = |source| ReceiptError::Write {
            path: path.to_path_buf(),
            source,
        };
        let text = serde_json::to_string_pretty(self).expect("a receipt serialises");
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, text + "\n").map_err(write_error)?;
        std::fs::rename(&tmp, path).map_err(write_error)
    }

    /// Records `step` as done and saves.
    pub async fn mark(&mut self, step: Step, keep: &Keeper<'_>) -> Result<(), ReceiptError> {
        if !self.is_done(&step) {
            self.done.push(step);
        }
        keep.save(self).await
    }

    fn parse(
        text: &[u8],
        parse_error: impl Fn(String) -> ReceiptError,
    ) -> Result<Receipt, ReceiptError> {
        let receipt: Receipt =
            serde_json::from_slice(text).map_err(|e| parse_error(e.to_string()))?;
        if receipt.format != FORMAT {
            return Err(parse_error(format!(
                "format {}, this baken reads {FORMAT}",
                receipt.format
            )));
        }
        Ok(receipt)
    }
}

/// Where a receipt is kept: in the account (the lock table of `stack`) and in the file `path`.
pub struct Keeper<'a> {
    pub path: &'a Path,
    pub clients: &'a Clients,
    pub stack: &'a str,
}

impl Keeper<'_> {
    /// The receipt kept in the account, else the file's (an adoption a baken before this one
    /// started, or a lock table not made yet); None when there is neither.
    pub async fn load(&self) -> Result<Option<Receipt>, ReceiptError> {
        match lock::get_adoption(self.clients, self.stack).await? {
            Some(gz) => {
                let mut text = Vec::new();
                std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gz[..]), &mut text)
                    .map_err(|e| ReceiptError::Stored {
                    reason: e.to_string(),
                })?;
                Receipt::parse(&text, |reason| ReceiptError::Stored { reason }).map(Some)
            }
            None => Receipt::load(self.path),
        }
    }

    /// Writes the receipt to the account, then to the file; a step is done only once both say
    /// so.
    pub async fn save(&self, r: &Receipt) -> Result<(), ReceiptError> {
        let json = serde_json::to_vec(r).expect("a receipt serialises");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut gz, &json).expect("writing to memory");
        let gz = gz.finish().expect("writing to memory");
        lock::put_adoption(self.clients, self.stack, gz).await?;
        r.save(self.path)
    }
}

/// Where the receipt of `stack` goes by default: beside the manifest.
pub fn default_path(manifest: &Path, stack: &str) -> PathBuf {
    let dir = manifest.parent().filter(|p| !p.as_os_str().is_empty());
    dir.unwrap_or(Path::new("."))
        .join(format!("{stack}.adopt-receipt.json"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn receipt() -> Receipt {
        Receipt {
            format: FORMAT,
            baken_stack: "s".into(),
            account: "123456789012".into(),
            region: "ap-northeast-1".into(),
            mode: Mode::Mock,
            stacks: Vec::new(),
            resources: Vec::new(),
            backups: BTreeMap::new(),
            done: vec![Step::BackedUp, Step::Retained("A".into())],
            template_bucket: None,
            uploads: BTreeMap::new(),
        }
    }

    #[test]
    fn a_receipt_round_trips_and_a_missing_one_is_none() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.json");
        assert!(Receipt::load(&path).unwrap().is_none());
        let mut r = receipt();
        r.done.push(Step::Deleted("A".into()));
        r.save(&path).unwrap();
        let back = Receipt::load(&path).unwrap().unwrap();
        assert_eq!(back, r);
        assert!(back.is_done(&Step::Deleted("A".into())));
        assert!(!dir.path().join("r.json.tmp").exists());
    }

    #[test]
    fn a_receipt_of_another_format_is_refused_not_guessed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.json");
        let mut r = receipt();
        r.format = 99;
        std::fs::write(&path, serde_json::to_string(&r).unwrap()).unwrap();
        let e = Receipt::load(&path).unwrap_err();
        assert!(e.to_string().contains("format 99"), "{e}");
    }
}
