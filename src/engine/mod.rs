//! The engine: reads the live state, computes plans and carries them out. The CLI is a thin front
//! over these functions.

pub mod apply;
pub mod gateway;
pub mod interrupt;
pub mod left;
pub mod lock;
pub mod logs;
pub mod outputs;
pub mod progress;
mod read;
pub mod run;
pub mod stacks;

pub use apply::{apply, ApplyReport};
pub use outputs::Outputs;
pub use read::{read_live, Ahead, Reports};

use crate::aws::sts::AccountId;
use crate::aws::{cloudformation, ec2, ssm, sts, AwsError, Clients};
use crate::bootstrap::GatewaySoftware;
use crate::desired::network::{NetworkNames, SubnetAttr};
use crate::desired::{desired_state, Account, Code, Desired, JravanFacts, Target};
use crate::live::{LiveState, Owner};
use crate::model::{Mode, Stack};
use crate::plan::{self, Plan};
use crate::resource::{Kind, ResourceId};

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Aws(#[from] AwsError),
    #[error(
        "stack {stack} is deployed in {deployed} mode and this deploy would switch it to {wanted} mode\n  hint: to switch on purpose, run the command again with --mode {wanted}; to keep it, use --mode {deployed}"
    )]
    ModeSwitch {
        stack: String,
        deployed: &'static str,
        wanted: &'static str,
    },
    #[error(
        "the deployed mode of stack {stack} cannot be told: {conflict}; nothing was changed\n  hint: say which mode to reconcile to: --mode mock or --mode jravan"
    )]
    ModeUnclear { stack: String, conflict: String },
    #[error(
        "the credentials are for account {actual}, but the manifest pins stack {stack} to account {pinned}; nothing was changed\n  hint: choose the profile of account {pinned} (--profile, AWS_PROFILE), or correct account_id in the manifest"
    )]
    WrongAccount {
        stack: String,
        pinned: String,
        actual: String,
    },
}

/// One stack in one account: the clients and the facts names are derived from.
pub struct Session {
    pub clients: Clients,
    pub stack: Stack,
    pub account: Account,
    /// What a writing command learnt from the deploy lock before reading (default: nothing).
    pub ahead: Ahead,
}

/// A plan with what it was computed from, so it can be carried out without reading again.
pub struct Planned {
    pub desired: Vec<Desired>,
    pub live: LiveState,
    pub plan: Plan,
}

impl Session {
    /// Looks up the account the credentials are for; refuses one the manifest does not pin.
    pub async fn open(clients: Clients, stack: Stack) -> Result<Session, EngineError> {
        let id = sts::account_id(&clients).await?;
        if let Some(pinned) = stack.account_id.as_ref().filter(|p| **p != id) {
            return Err(EngineError::WrongAccount {
                stack: stack.name.clone(),
                pinned: pinned.clone(),
                actual: id,
            });
        }
        let account = Account {
            id,
            region: stack.region.clone(),
        };
        Ok(Session {
            clients,
            stack,
            account,
            ahead: Ahead::default(),
        })
    }

    /// Where the commands act, as their text output says it: `account 123456789012, ap-northeast-1`.
    pub fn place(&self) -> String {
        format!("account {}, {}", self.account.id, self.account.region)
    }

    /// What a deploy in `mode` would do. `explicit_mode`: the mode came from `--mode`, so a switch
    /// is intended. `software`: the rendered gateway (jravan mode).
    pub async fn plan_deploy(
        &self,
        mode: Mode,
        explicit_mode: bool,
        code: &Code,
        software: Option<GatewaySoftware>,
    ) -> Result<Planned, EngineError> {
        self.plan_deploy_with(mode, explicit_mode, code, software, |_, _| {})
            .await
    }

    /// `plan_deploy`, with `adjust` changing the desired state before it is compared: `baken
    /// adopt` keeps the adopted functions on the CDK app's gateway until baken's is healthy.
    pub async fn plan_deploy_with(
        &self,
        mode: Mode,
        explicit_mode: bool,
        code: &Code,
        software: Option<GatewaySoftware>,
        adjust: impl FnOnce(&mut Vec<Desired>, &LiveState),
    ) -> Result<Planned, EngineError> {
        // The names read do not depend on the facts, so one read serves both. What does not
        // depend on the live state (the prefix list, the service-key check) is looked up alongside.
        let names = self.names(mode);
        let account = AccountId::known(&self.account.id);
        let read = read_live(
            &self.clients,
            &account,
            &self.stack,
            &names,
            Reports::Skip,
            &self.ahead,
        );
        let (live, (prefix_list, missing)) = futures::future::try_join(
            async { read.await.map_err(EngineError::from) },
            futures::future::try_join(self.prefix_list(mode), self.missing(mode)),
        )
        .await?;
        if let (Some(conflict), false) = (&live.mode_conflict, explicit_mode) {
            return Err(EngineError::ModeUnclear {
                stack: self.stack.name.clone(),
                conflict: conflict.clone(),
            });
        }
        if let Some(deployed) = live.deployed_mode {
            if deployed != mode && !explicit_mode {
                return Err(EngineError::ModeSwitch {
                    stack: self.stack.name.clone(),
                    deployed: deployed.as_str(),
                    wanted: mode.as_str(),
                });
            }
        }
        let facts = self.facts(mode, &live, software, prefix_list).await?;
        let mut desired =
            desired_state(&self.stack, Target::of(facts.as_ref()), &self.account, code);
        adjust(&mut desired, &live);
        let mut plan = plan::compute(&self.stack.name, mode, &desired, &live);
        plan.missing = missing;
        self.name_owners(&mut plan, &live).await?;
        Ok(Planned {
            desired,
            live,
            plan,
        })
    }

    /// Prerequisites the user makes that a deploy in `mode` needs: in jravan mode the service-key
    /// parameter (its metadata is read, never its value). Without it the gateway starts but
    /// JV-Link can never authenticate, so deploy refuses rather than succeed with a dead feed.
    async fn missing(&self, mode: Mode) -> Result<Vec<plan::Missing>, EngineError> {
        if mode != Mode::Jravan {
            return Ok(Vec::new());
        }
        let parameter = &self.stack.jravan.service_key_parameter;
        Ok(if ssm::parameter_exists(&self.clients, parameter).await? {
            Vec::new()
        } else {
            vec![plan::Missing::service_key(parameter, &self.stack.region)]
        })
    }

    /// The region's DynamoDB prefix list, looked up ahead in jravan mode.
    async fn prefix_list(&self, mode: Mode) -> Result<Option<String>, EngineError> {
        Ok(match mode {
            Mode::Jravan => Some(ec2::dynamodb_prefix_list(&self.clients).await?),
            Mode::Mock => None,
        })
    }

    /// The desired state's resource names in `mode` (facts do not change names).
    pub fn names(&self, mode: Mode) -> Vec<Desired> {
        let placeholder = JravanFacts {
            availability_zones: vec![String::new(); self.stack.jravan.az_count],
            dynamodb_prefix_list: String::new(),
            ami: String::new(),
            software: None,
        };
        desired_state(
            &self.stack,
            match mode {
                Mode::Jravan => Target::Jravan(&placeholder),
                Mode::Mock => Target::Mock,
            },
            &self.account,
            &Code::Unknown,
        )
    }

    /// Looks up what the jravan resources are planned from. Zones and image are pinned to what
    /// the live stack uses, so a deploy never moves a subnet or replaces the instance because AWS
    /// changed its defaults.
    async fn facts(
        &self,
        mode: Mode,
        live: &LiveState,
        software: Option<GatewaySoftware>,
        prefix_list: Option<String>,
    ) -> Result<Option<JravanFacts>, EngineError> {
        if mode != Mode::Jravan {
            return Ok(None);
        }
        let j = &self.stack.jravan;
        let names = NetworkNames::of(&self.stack, j.az_count);
        let live_zones: Option<Vec<String>> = names
            .private_subnets
            .iter()
            .map(|n| {
                live.get(&ResourceId::new(Kind::Subnet, n))
                    .and_then(|s| s.attrs.get(SubnetAttr::AvailabilityZone.name()).cloned())
            })
            .collect();
        // The look-ups that are needed run side by side.
        let zones = async {
            match (&j.availability_zones, live_zones) {
                (Some(z), _) => Ok(z.clone()),
                (None, Some(z)) => Ok(z),
                (None, None) => ec2::availability_zones(&self.clients, j.az_count).await,
            }
        };
        let ami = async {
            match (&j.ami, &live.instance_ami) {
                (Some(a), _) => Ok(a.clone()),
                (None, Some(a)) => Ok(a.clone()),
                (None, None) => ssm::latest_windows_ami(&self.clients).await,
            }
        };
        let prefix = async {
            match prefix_list {
                Some(p) => Ok(p),
                None => ec2::dynamodb_prefix_list(&self.clients).await,
            }
        };
        let (availability_zones, ami, dynamodb_prefix_list) =
            futures::future::try_join3(zones, ami, prefix).await?;
        Ok(Some(JravanFacts {
            availability_zones,
            dynamodb_prefix_list,
            ami,
            software,
        }))
    }

    /// What the stack has in the account, in either mode; no plan (`baken output`).
    pub async fn read(&self) -> Result<LiveState, AwsError> {
        read_live(
            &self.clients,
            &AccountId::known(&self.account.id),
            &self.stack,
            &self.names(self.stack.mode),
            Reports::Skip,
            &Ahead::default(),
        )
        .await
    }

    /// The plan against the mode the stack is deployed in (the manifest's when it is not
    /// deployed), without the function code or the gateway software: what `status` reports.
    pub async fn plan_status(&self) -> Result<Planned, EngineError> {
        let (live, prefix_list) = self
            .status_reads(&AccountId::known(&self.account.id))
            .await?;
        self.status_plan(live, prefix_list).await
    }

    /// Opens the session and reads the deploy lock's version, which a writing command reads
    /// before it plans. With no `account_id` pinned in the manifest the two go side by side (one
    /// round fewer); a pinned stack sends nothing before the identity lookup has confirmed the
    /// account.
    pub async fn open_for_writing(
        clients: Clients,
        stack: Stack,
    ) -> Result<(Session, lock::Seen), EngineError> {
        let name = stack.name.clone();
        let (mut session, seen) = if stack.account_id.is_some() {
            let session = Session::open(clients, stack).await?;
            let seen = lock::seen(&session.clients, &name).await?;
            (session, seen)
        } else {
            let version = lock::seen(&clients, &name);
            let (session, seen) =
                futures::future::join(Session::open(clients.clone(), stack), version).await;
            // Without credentials both fail: the identity lookup's error says what to do.
            (session?, seen?)
        };
        // What the last run left is what this one expects to find.
        session.ahead = left::ahead_of(&seen, |m| session.names(m));
        Ok((session, seen))
    }

    /// Opens the session and plans status. With no `account_id` pinned in the manifest, the
    /// identity lookup runs alongside the first round of reads (one round fewer); a pinned stack
    /// sends nothing before it has confirmed the account.
    pub async fn open_for_status(
        clients: Clients,
        stack: Stack,
    ) -> Result<(Session, Planned), EngineError> {
        if stack.account_id.is_some() {
            let session = Session::open(clients, stack).await?;
            let planned = session.plan_status().await?;
            return Ok((session, planned));
        }
        let lookup = AccountId::lookup(&clients);
        let mut session = Session {
            clients,
            account: Account {
                // Not needed by the reads' first round; filled in below.
                id: String::new(),
                region: stack.region.clone(),
            },
            stack,
            ahead: Ahead::default(),
        };
        let (reads, id) = futures::future::join(session.status_reads(&lookup), lookup.get()).await;
        // Without credentials both fail: the identity lookup's error says what to do.
        session.account.id = id?;
        let (live, prefix_list) = reads?;
        let planned = session.status_plan(live, prefix_list).await?;
        Ok((session, planned))
    }

    /// Status's reads: the live state with the gateway's reports, and the prefix list alongside.
    async fn status_reads(
        &self,
        account: &AccountId,
    ) -> Result<(LiveState, Option<String>), EngineError> {
        // The manifest's mode is the guess for what to look up alongside the read.
        let names = self.names(self.stack.mode);
        let nothing_ahead = Ahead::default();
        let read = read_live(
            &self.clients,
            account,
            &self.stack,
            &names,
            Reports::Read,
            &nothing_ahead,
        );
        futures::future::try_join(
            async { read.await.map_err(EngineError::from) },
            self.prefix_list(self.stack.mode),
        )
        .await
    }

    async fn status_plan(
        &self,
        live: LiveState,
        prefix_list: Option<String>,
    ) -> Result<Planned, EngineError> {
        let mode = live.deployed_mode.unwrap_or(self.stack.mode);
        let facts = self.facts(mode, &live, None, prefix_list).await?;
        let desired = desired_state(
            &self.stack,
            Target::of(facts.as_ref()),
            &self.account,
            &Code::Unknown,
        );
        let mut plan = plan::compute(&self.stack.name, mode, &desired, &live);
        self.name_owners(&mut plan, &live).await?;
        Ok(Planned {
            desired,
            live,
            plan,
        })
    }

    /// Names the CloudFormation stack (and logical id) of each conflict that no baken stack
    /// owns, from the live stacks' resources: the CDK app holds baken's default names. Only a
    /// plan with such a conflict pays for the look-up.
    async fn name_owners(&self, plan: &mut Plan, live: &LiveState) -> Result<(), EngineError> {
        if !plan.conflicts.iter().any(|c| c.owner == Owner::Unmanaged) {
            return Ok(());
        }
        let owners = cloudformation::owners(&self.clients).await?;
        for c in plan
            .conflicts
            .iter_mut()
            .filter(|c| c.owner == Owner::Unmanaged)
        {
            // CloudFormation's physical id is the name for most kinds, AWS's id for a REST API.
            let aws_id = live.get(&c.resource).and_then(|l| l.aws_id.as_deref());
            let found = owners
                .get(&c.resource.name)
                .or_else(|| aws_id.and_then(|id| owners.get(id)));
            if let Some((stack, logical_id)) = found {
                c.owner = Owner::CloudFormation {
                    stack: stack.clone(),
                    logical_id: logical_id.clone(),
                };
            }
        }
        Ok(())
    }

    /// Removal of everything the stack owns; tables stay when `keep_data`.
    pub async fn plan_teardown(&self, keep_data: bool) -> Result<Planned, EngineError> {
        // What the manifest names is what a deployed stack is expected to have.
        let ahead = Ahead {
            expected: Some(
                self.ahead
                    .expected
                    .clone()
                    .unwrap_or_else(|| self.names(self.stack.mode)),
            ),
            ..self.ahead.clone()
        };
        let live = read_live(
            &self.clients,
            &AccountId::known(&self.account.id),
            &self.stack,
            &[],
            Reports::Skip,
            &ahead,
        )
        .await?;
        let mode = live.deployed_mode.unwrap_or(self.stack.mode);
        let mut plan = plan::compute(&self.stack.name, mode, &[], &live);
        if keep_data {
            plan.steps.retain(|s| s.resource.kind != Kind::Table);
            for s in &mut plan.steps {
                s.after.retain(|a| a.kind != Kind::Table);
            }
            plan.destructive.retain(|d| d.resource.kind != Kind::Table);
        }
        Ok(Planned {
            desired: Vec::new(),
            live,
            plan,
        })
    }

    /// The gateway's id and addresses as they are now (jravan mode): a deploy reads them after
    /// applying, since a new instance's are known only then.
    pub async fn gateway_addresses(
        &self,
        mode: Mode,
    ) -> Result<Option<crate::live::GatewayAddresses>, AwsError> {
        if mode != Mode::Jravan {
            return Ok(None);
        }
        let name = crate::desired::gateway::instance_name(&self.stack);
        ec2::gateway_addresses(&self.clients, &self.stack.name, &name).await
    }
}
