//! The service reads: each service module lists (and batches) what the stack may own of its
//! kinds, and states its read as a `Reader` beside its kinds' seams; a kind names the read that
//! finds it (`Seam::READ_BY`). `crate::engine::read_live` runs every read some kind names, once
//! each, in parallel.

use futures::future::BoxFuture;

use super::sts::AccountId;
use super::{AwsError, Clients};
use crate::desired::Desired;
use crate::live::LiveState;
use crate::model::Stack;
use crate::resource::{Kind, ResourceId};

/// What the deploy lock told a writing command before it read (`Session::open_for_writing`):
/// on a deployed stack, what the last run left (the names of the mode it recorded) is read by
/// name alongside the lists, and the REST API, the VPC and the instance under the ids it
/// recorded (`super::read_ahead`). The plan comes out the same, a round sooner.
#[derive(Debug, Clone, Default)]
pub struct Ahead {
    pub deployed: bool,
    pub api_id: Option<String>,
    /// The jravan VPC's and the gateway instance's ids.
    pub vpc_id: Option<String>,
    pub instance_id: Option<String>,
    /// The resources expected, when not the desired state's: teardown wants nothing, but
    /// expects what the manifest names.
    pub expected: Option<Vec<Desired>>,
    /// What an adoption takes over, seen as the stack's own: the plan of the deploy that follows
    /// it, shown before anything is adopted (nothing is ever written on such a read).
    pub adopting: Vec<ResourceId>,
}

/// What a service read is given.
pub struct ReadContext<'a> {
    pub clients: &'a Clients,
    pub account: &'a AccountId,
    pub stack: &'a Stack,
    /// What the desired state wants (in either mode, the stack's other resources are read too).
    pub desired: &'a [Desired],
    pub ahead: &'a Ahead,
}

impl ReadContext<'_> {
    /// The names the desired state wants of `kind`.
    pub fn wanted(&self, kind: Kind) -> Vec<String> {
        names_of(self.desired, kind)
    }

    /// The names of `kind` to read ahead: those the last run left.
    pub fn ahead(&self, kind: Kind) -> Vec<String> {
        match self.ahead.deployed {
            true => names_of(self.ahead.expected.as_deref().unwrap_or(self.desired), kind),
            false => Vec::new(),
        }
    }

    /// `ahead(kind)`, with the names looked for in either mode (`always`), when reading ahead
    /// at all.
    pub fn ahead_and(&self, kind: Kind, always: &[&String]) -> Vec<String> {
        match self.ahead.deployed {
            true => with(self.ahead(kind), always),
            false => Vec::new(),
        }
    }

    /// The REST API id the last run left.
    pub fn api_id(&self) -> Option<&str> {
        self.ahead.api_id.as_deref().filter(|_| self.ahead.deployed)
    }

    /// Whether an adoption takes a resource of `kind` over.
    pub fn adopting(&self, kind: Kind) -> bool {
        self.ahead.adopting.iter().any(|id| id.kind == kind)
    }
}

/// `names` with each of `always` added once.
pub fn with(mut names: Vec<String>, always: &[&String]) -> Vec<String> {
    for n in always {
        if !names.contains(n) {
            names.push((*n).clone());
        }
    }
    names
}

fn names_of(desired: &[Desired], kind: Kind) -> Vec<String> {
    desired
        .iter()
        .filter(|d| d.id.kind == kind)
        .map(|d| d.id.name.clone())
        .collect()
}

/// A read's result: the part of the live state it found.
pub type ReadFn = for<'a> fn(&'a ReadContext<'a>) -> BoxFuture<'a, Result<LiveState, AwsError>>;

/// One service read, named for the set of reads to run (each runs once, however many kinds
/// name it).
#[derive(Clone, Copy)]
pub struct Reader {
    pub name: &'static str,
    pub read: ReadFn,
}

impl std::fmt::Debug for Reader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

impl PartialEq for Reader {
    fn eq(&self, other: &Reader) -> bool {
        self.name == other.name
    }
}
impl Eq for Reader {}

impl PartialOrd for Reader {
    fn partial_cmp(&self, other: &Reader) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Reader {
    fn cmp(&self, other: &Reader) -> std::cmp::Ordering {
        self.name.cmp(other.name)
    }
}

/// The part found by a read that finds only resources.
pub fn part(found: impl IntoIterator<Item = crate::live::LiveResource>) -> LiveState {
    let mut part = LiveState::default();
    for r in found {
        part.insert(r);
    }
    part
}
