//! The resource seam: what the executor and the reader need of each kind, and the one registry
//! that maps kinds to the types that provide it.
//!
//! A kind is its spec (`crate::desired`: the wanted attributes, their keys, its replace rules and
//! its policy, as `Wanted` items) and its `Seam` impl in its service module (create, update only
//! what changed, delete, which service read finds it and how its AWS answer maps to attributes,
//! its weight). The registry below is generated from the one list of kinds
//! (`crate::resource::kind::with_kinds`), so a kind without a seam does not compile.

use std::collections::BTreeMap;
use std::sync::Mutex;

use super::read::Reader;
use super::{AwsError, Clients};
use crate::desired::*;
use crate::plan::Change;
use crate::resource::kind::with_kinds;
use crate::resource::refs::{self, id_key, Refs};
use crate::resource::{Attrs, Kind, ResourceId};

/// One kind's writes. `Self` is the kind's spec.
#[allow(async_fn_in_trait)] // Dispatched statically by the registry, never as `dyn`.
pub trait Seam {
    /// The read that finds this kind's live resources.
    const READ_BY: Reader;
    /// The round trips its step usually takes (measured on moto: `step_requests` of a fresh
    /// deploy): the weight that decides which ready step heads the longest chain. Only the order
    /// of steps depends on it, never correctness.
    const ROUNDS: u32 = 1;
    async fn create(&self, cx: &StepContext<'_>) -> Result<(), AwsError>;
    /// Changes what `cx.changes` names, nothing else.
    async fn update(&self, cx: &StepContext<'_>) -> Result<(), AwsError>;
    /// Removes the live resource `cx.resource`; one that is already gone is not an error.
    async fn delete(cx: &StepContext<'_>) -> Result<(), AwsError>;
    /// Delete, then create: what a change in a `Wanted::REPLACED_ON` attribute means. A kind whose
    /// name is only free again once AWS has finished deleting waits in between.
    async fn replace(&self, cx: &StepContext<'_>) -> Result<(), AwsError> {
        Self::delete(cx).await?;
        self.create(cx).await
    }
}

/// Ids learnt while applying: the REST API's and its resources', and the AWS ids (and the
/// instance's private IP) of what is created along the way.
#[derive(Debug, Default)]
pub struct Learnt {
    pub api_id: Option<String>,
    pub api_resource_ids: BTreeMap<String, String>,
    pub refs: Refs,
    /// The REST API was made by this run with its resource tree.
    pub api_imported: bool,
    /// Woken when an id is learnt: a step waiting only for an id may start before the step
    /// that learnt it has finished (a child API resource needs its parent's id, not its methods).
    pub changed: std::sync::Arc<tokio::sync::Notify>,
}

/// What a step's seam call sees: the clients, the resource, the planned changes, and the ids
/// known so far (shared by the steps of one run).
pub struct StepContext<'a> {
    pub clients: &'a Clients,
    pub resource: &'a ResourceId,
    /// Empty for a create.
    pub changes: &'a [Change],
    /// The resource's attributes as read when the plan was made (None when it was not read:
    /// a create).
    pub live: Option<&'a Attrs>,
    learnt: &'a Mutex<Learnt>,
}

impl<'a> StepContext<'a> {
    pub fn new(
        clients: &'a Clients,
        resource: &'a ResourceId,
        changes: &'a [Change],
        learnt: &'a Mutex<Learnt>,
    ) -> StepContext<'a> {
        StepContext {
            clients,
            resource,
            changes,
            live: None,
            learnt,
        }
    }

    /// With the attributes read when the plan was made: a delete can act on them instead of
    /// reading the resource again.
    pub fn with_live(mut self, live: Option<&'a Attrs>) -> StepContext<'a> {
        self.live = live;
        self
    }

    fn learnt(&self) -> std::sync::MutexGuard<'_, Learnt> {
        self.learnt.lock().expect("learnt ids lock")
    }

    pub fn name(&self) -> &str {
        &self.resource.name
    }

    /// The names of the changed attributes.
    pub fn changed(&self) -> Vec<String> {
        self.changes.iter().map(|c| c.attribute.clone()).collect()
    }

    /// The live value of a changed attribute (None when it is not changed or absent in AWS).
    pub fn live_value(&self, attribute: &str) -> Option<String> {
        self.changes
            .iter()
            .find(|c| c.attribute == attribute)
            .and_then(|c| c.live.clone())
    }

    /// An error saying an id this step needs is not known (an earlier step did not finish).
    pub fn missing(&self, what: &str) -> AwsError {
        AwsError::new(
            "apply",
            self.resource.to_string(),
            format!("the {what} is not known"),
        )
        .with_hint("an earlier step did not finish: run the command again")
    }

    /// `text` with every reference filled in.
    pub fn fill(&self, text: &str) -> Result<String, AwsError> {
        refs::fill(text, &self.learnt().refs).map_err(|key| self.missing(&format!("id of {key}")))
    }

    pub fn fill_all<'t>(
        &self,
        texts: impl IntoIterator<Item = &'t String>,
    ) -> Result<Vec<String>, AwsError> {
        texts.into_iter().map(|t| self.fill(t)).collect()
    }

    pub fn learn(&self, key: String, value: String) {
        self.learnt().refs.insert(key, value);
    }

    /// Records the AWS id of this step's resource.
    pub fn learn_own_id(&self, id: String) {
        self.learn(id_key(self.resource.kind, self.name()), id);
    }

    /// The AWS id of this step's resource, when known (a duplicate copy's is in its id).
    pub fn own_id(&self) -> Option<String> {
        if let Some(copy) = &self.resource.copy {
            return Some(copy.clone());
        }
        self.learnt()
            .refs
            .get(&id_key(self.resource.kind, self.name()))
            .cloned()
    }

    /// Runs `delete` with this resource's AWS id; one whose id is not known is already gone.
    pub async fn delete_known<F, Fut>(&self, delete: F) -> Result<(), AwsError>
    where
        F: FnOnce(String) -> Fut,
        Fut: std::future::Future<Output = Result<(), AwsError>>,
    {
        match self.own_id() {
            Some(id) => delete(id).await,
            None => Ok(()),
        }
    }

    pub fn existing_id(&self) -> Result<String, AwsError> {
        self.own_id().ok_or_else(|| self.missing("AWS id"))
    }

    pub fn api_id(&self) -> Result<String, AwsError> {
        self.learnt()
            .api_id
            .clone()
            .ok_or_else(|| self.missing("REST API id"))
    }

    /// A new REST API: its id and its root resource's.
    pub fn learn_api(&self, id: String, root: String) {
        let mut learnt = self.learnt();
        learnt.api_id = Some(id);
        learnt.api_resource_ids = BTreeMap::from([("/".to_string(), root)]);
    }

    /// This run made the REST API with its whole resource tree (`RestApiSpec::create`).
    pub fn learn_api_imported(&self) {
        self.learnt().api_imported = true;
    }

    pub fn api_resource_id(&self, path: &str) -> Option<String> {
        self.learnt().api_resource_ids.get(path).cloned()
    }

    pub fn learn_api_resource(&self, path: String, id: String) {
        let mut learnt = self.learnt();
        learnt.api_resource_ids.insert(path, id);
        learnt.changed.notify_one();
    }
}

macro_rules! registry {
    ($($kind:ident => $label:literal, $spec:ident;)*) => {
        /// Creates `spec`'s resource.
        pub async fn create(spec: &Spec, cx: &StepContext<'_>) -> Result<(), AwsError> {
            match spec {
                $(Spec::$kind(s) => <$spec as Seam>::create(s, cx).await,)*
            }
        }

        /// Changes the live resource to `spec` in the attributes `cx.changes` names.
        pub async fn update(spec: &Spec, cx: &StepContext<'_>) -> Result<(), AwsError> {
            match spec {
                $(Spec::$kind(s) => <$spec as Seam>::update(s, cx).await,)*
            }
        }

        /// Replaces the live resource with `spec`'s.
        pub async fn replace(spec: &Spec, cx: &StepContext<'_>) -> Result<(), AwsError> {
            match spec {
                $(Spec::$kind(s) => <$spec as Seam>::replace(s, cx).await,)*
            }
        }

        /// Deletes the live resource `cx.resource`.
        pub async fn delete(cx: &StepContext<'_>) -> Result<(), AwsError> {
            match cx.resource.kind {
                $(Kind::$kind => <$spec as Seam>::delete(cx).await,)*
            }
        }

        /// The read that finds `kind`.
        pub fn reader(kind: Kind) -> Reader {
            match kind {
                $(Kind::$kind => <$spec as Seam>::READ_BY,)*
            }
        }

        /// The round trips a step on `kind` usually takes (`Seam::ROUNDS`).
        pub fn rounds(kind: Kind) -> u32 {
            match kind {
                $(Kind::$kind => <$spec as Seam>::ROUNDS,)*
            }
        }
    };
}

with_kinds!(registry);

#[cfg(test)]
mod tests {
    use super::*;

    /// Every service's `READER` (grep `pub const READER`): one no kind names is never run.
    #[test]
    fn every_service_read_finds_some_kind() {
        let used: Vec<&str> = Kind::ALL
            .iter()
            .map(|k| reader(*k).name)
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        assert_eq!(
            used,
            [
                "api",
                "cloudwatch",
                "functions",
                "gateway-document",
                "instance-profiles",
                "log-groups",
                "network",
                "roles",
                "scheduler",
                "sns",
                "tables"
            ]
        );
    }
}
