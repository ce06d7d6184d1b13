//! IAM: the functions' execution roles and their inline policies.
//!
//! Roles live under the IAM path `/baken/<stack>/`, so one ListRoles call finds every role of a
//! stack. IAM is eventually consistent: a new role can take seconds before Lambda may assume it;
//! that wait is handled where the function is created (`lambda.rs`).

use futures::future::try_join_all;

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

mod instance_profile;

pub use instance_profile::{
    create_instance_profile, delete_instance_profile, read_instance_profiles, set_profile_role,
};

use super::client::error::{absent_if, on};
use super::read::{part, with, ReadContext, Reader};
use super::read_ahead::listed_then_read;
use super::seam::{Seam, StepContext};
use super::{AwsError, Clients};
use crate::desired::{RoleAttr, RoleSpec, ROLE_POLICY_NAME};
use crate::live::LiveState;
use crate::live::{LiveResource, Owner};
use crate::model::names::role_path;
use crate::model::names::{gateway_instance_name, role_name};
use crate::resource::json::{canonical_json, decode_policy_document};
use crate::resource::PRESENT;
use crate::resource::{Attrs, Kind, ResourceId};

fn err<E, R>(op: &'static str, role: &str) -> impl FnOnce(SdkError<E, R>) -> AwsError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    on(op, format!("role {role}"))
}

fn iam_tags(tags: &std::collections::BTreeMap<String, String>) -> Vec<aws_sdk_iam::types::Tag> {
    tags.iter()
        .map(|(k, v)| {
            aws_sdk_iam::types::Tag::builder()
                .key(k)
                .value(v)
                .build()
                .expect("key and value set")
        })
        .collect()
}

/// Names wanted but not listed under the stack's path: read too, to find what is in the way.
fn add_wanted(names: &mut Vec<String>, wanted: &[String]) {
    for w in wanted {
        if !names.contains(w) {
            names.push(w.clone());
        }
    }
}

fn parse_doc(doc: &str) -> String {
    let decoded = decode_policy_document(doc);
    serde_json::from_str(&decoded)
        .map(|v| canonical_json(&v))
        .unwrap_or(decoded)
}

/// Which roles a read looks at, and how closely.
pub struct RoleNames<'a> {
    /// Looked for wherever they are (in the way, or left by the other mode).
    pub wanted: &'a [String],
    /// What the plan compares: read in full (role, inline and attached policies).
    pub desired: &'a [String],
    /// Read alongside the list (`read_ahead`): the roles the last run left (the `desired` ones
    /// among them in full), and any other worth its GetRole.
    pub ahead: &'a [String],
    pub expected: &'a [String],
}

/// Every role under the stack's path, plus any role that holds one of the wanted names elsewhere
/// (in the way).
pub async fn read(
    clients: &Clients,
    stack: &str,
    names: RoleNames<'_>,
) -> Result<Vec<LiveResource>, AwsError> {
    let RoleNames {
        wanted,
        desired,
        ahead,
        expected,
    } = names;
    let listed = std::sync::OnceLock::new();
    let list = async {
        let mut names = Vec::new();
        let mut pages = clients
            .iam
            .list_roles()
            .path_prefix(role_path(stack))
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(err("ListRoles", &role_path(stack)))?;
            names.extend(page.roles.into_iter().map(|r| r.role_name));
        }
        // Set once, before any read that is not ahead starts.
        let _ = listed.set(names.clone());
        add_wanted(&mut names, wanted);
        Ok(names)
    };
    // A wanted role ListRoles found under the stack's path is compared, so its policies are
    // read; one that is going (teardown, a removed route) needs its owner, not its contents.
    let listed = &listed;
    let under_path = |n: &String| listed.get().is_some_and(|l| l.contains(n));
    let in_full_ahead = |n: &String| desired.contains(n) && expected.contains(n);
    let mut found = listed_then_read(list, ahead, |n| async move {
        let compared = match ahead.contains(&n) {
            true => in_full_ahead(&n),
            false => wanted.contains(&n) && under_path(&n),
        };
        read_one(clients, stack, &n, compared).await
    })
    .await?;
    // Read ahead for its owner only, yet compared and found under the path (a role the last run
    // was not expected to leave): read again in full, as the list alone would have had it.
    let again: Vec<&String> = ahead
        .iter()
        .filter(|n| !in_full_ahead(n) && desired.contains(n) && under_path(n))
        .collect();
    if !again.is_empty() {
        let full = try_join_all(again.iter().map(|n| read_one(clients, stack, n, true))).await?;
        found.retain(|r| !again.contains(&&r.id.name));
        found.extend(full.into_iter().flatten());
    }
    Ok(found)
}

/// One role. A wanted role ListRoles found under the stack's path is compared (`listed`): its
/// role, its inline and attached policies and baken's own policy are read side by side (one
/// round). Any other gets only GetRole: absent, in the way under another path, or going.
async fn read_one(
    clients: &Clients,
    stack: &str,
    name: &str,
    listed: bool,
) -> Result<Option<LiveResource>, AwsError> {
    let gone = &["NoSuchEntity", "NoSuchEntityException"];
    let role = async {
        absent_if(
            clients
                .iam
                .get_role()
                .role_name(name)
                .send()
                .await
                .map_err(err("GetRole", name)),
            gone,
        )
    };
    let inline_names = async {
        if !listed {
            return Ok(None);
        }
        absent_if(
            clients
                .iam
                .list_role_policies()
                .role_name(name)
                .send()
                .await
                .map_err(err("ListRolePolicies", name)),
            gone,
        )
    };
    let attached = async {
        if !listed {
            return Ok(None);
        }
        absent_if(
            clients
                .iam
                .list_attached_role_policies()
                .role_name(name)
                .send()
                .await
                .map_err(err("ListAttachedRolePolicies", name)),
            gone,
        )
    };
    let own_policy = async {
        if !listed {
            return Ok(None);
        }
        get_policy(clients, name, ROLE_POLICY_NAME).await
    };
    let (role, inline_names, attached, own_policy) =
        futures::future::try_join4(role, inline_names, attached, own_policy).await?;
    let Some(role) = role.and_then(|r| r.role) else {
        return Ok(None);
    };
    let owner = Owner::from_tags(stack, role.tags().iter().map(|t| (t.key(), t.value())));
    let mut attrs = Attrs::from([(RoleAttr::Path.key(), role.path().to_string())]);
    if let Some(doc) = role.assume_role_policy_document() {
        attrs.insert(RoleAttr::AssumeRolePolicy.key(), parse_doc(doc));
    }
    if owner == Owner::Ours {
        // Every inline policy, not only baken's: one added by hand (`Action: *`) is drift. Those
        // (rare) take a second round.
        let names: Vec<String> = inline_names
            .map(|n| n.policy_names().to_vec())
            .unwrap_or_default();
        let others = names.iter().filter(|p| p.as_str() != ROLE_POLICY_NAME);
        let extra = try_join_all(others.map(|p| get_policy(clients, name, p))).await?;
        let ours = own_policy.filter(|_| names.iter().any(|p| p == ROLE_POLICY_NAME));
        for (p, doc) in ours.into_iter().chain(extra.into_iter().flatten()) {
            attrs.insert(RoleAttr::Policy(&p).key(), doc);
        }
        for p in attached.iter().flat_map(|a| a.attached_policies()) {
            if let Some(arn) = p.policy_arn() {
                attrs.insert(RoleAttr::ManagedPolicy(arn).key(), PRESENT.into());
            }
        }
    }
    Ok(Some(LiveResource::new(
        ResourceId::new(Kind::Role, name),
        attrs,
        owner,
    )))
}

/// An inline policy's name and canonical document, None when the role has no such policy.
async fn get_policy(
    clients: &Clients,
    role: &str,
    policy: &str,
) -> Result<Option<(String, String)>, AwsError> {
    let got = absent_if(
        clients
            .iam
            .get_role_policy()
            .role_name(role)
            .policy_name(policy)
            .send()
            .await
            .map_err(err("GetRolePolicy", role)),
        &["NoSuchEntity", "NoSuchEntityException"],
    )?;
    Ok(got.map(|g| (policy.to_string(), parse_doc(g.policy_document()))))
}

pub async fn create(clients: &Clients, spec: &RoleSpec) -> Result<(), AwsError> {
    clients
        .iam
        .create_role()
        .role_name(&spec.name)
        .path(&spec.path)
        .description(spec.description)
        .assume_role_policy_document(spec.assume_role_policy.to_string())
        .set_tags(Some(iam_tags(&spec.tags)))
        .send()
        .await
        .map_err(err("CreateRole", &spec.name))?;
    put_policy(clients, spec).await?;
    for arn in &spec.managed_policies {
        attach(clients, &spec.name, arn).await?;
    }
    Ok(())
}

async fn attach(clients: &Clients, role: &str, arn: &str) -> Result<(), AwsError> {
    clients
        .iam
        .attach_role_policy()
        .role_name(role)
        .policy_arn(arn)
        .send()
        .await
        .map_err(err("AttachRolePolicy", role))?;
    Ok(())
}

async fn put_policy(clients: &Clients, spec: &RoleSpec) -> Result<(), AwsError> {
    clients
        .iam
        .put_role_policy()
        .role_name(&spec.name)
        .policy_name(&spec.policy_name)
        .policy_document(spec.policy.to_string())
        .send()
        .await
        .map_err(err("PutRolePolicy", &spec.name))?;
    Ok(())
}

pub async fn update(
    clients: &Clients,
    spec: &RoleSpec,
    changed: &[String],
) -> Result<(), AwsError> {
    let changed: Vec<RoleAttr> = changed.iter().filter_map(|a| RoleAttr::parse(a)).collect();
    if changed.contains(&RoleAttr::AssumeRolePolicy) {
        clients
            .iam
            .update_assume_role_policy()
            .role_name(&spec.name)
            .policy_document(spec.assume_role_policy.to_string())
            .send()
            .await
            .map_err(err("UpdateAssumeRolePolicy", &spec.name))?;
    }
    for policy in changed.iter().filter_map(|a| match a {
        RoleAttr::Policy(p) => Some(*p),
        _ => None,
    }) {
        if policy == spec.policy_name {
            put_policy(clients, spec).await?;
        } else {
            // An inline policy baken did not write: the manifest does not grant it.
            absent_if(
                clients
                    .iam
                    .delete_role_policy()
                    .role_name(&spec.name)
                    .policy_name(policy)
                    .send()
                    .await
                    .map_err(err("DeleteRolePolicy", &spec.name)),
                &["NoSuchEntity", "NoSuchEntityException"],
            )?;
        }
    }
    for arn in changed.iter().filter_map(|a| match a {
        RoleAttr::ManagedPolicy(arn) => Some(*arn),
        _ => None,
    }) {
        if spec.managed_policies.iter().any(|m| m == arn) {
            attach(clients, &spec.name, arn).await?;
        } else {
            clients
                .iam
                .detach_role_policy()
                .role_name(&spec.name)
                .policy_arn(arn)
                .send()
                .await
                .map_err(err("DetachRolePolicy", &spec.name))?;
        }
    }
    Ok(())
}

/// Removes the inline policy `policy` from `role`; either already gone is done.
pub async fn delete_role_policy(
    clients: &Clients,
    role: &str,
    policy: &str,
) -> Result<(), AwsError> {
    absent_if(
        clients
            .iam
            .delete_role_policy()
            .role_name(role)
            .policy_name(policy)
            .send()
            .await
            .map_err(err("DeleteRolePolicy", role)),
        &["NoSuchEntity"],
    )?;
    Ok(())
}

/// Deletes the role after what IAM requires to be gone first: inline policies, attached managed
/// policies and instance-profile memberships.
pub async fn delete(clients: &Clients, name: &str) -> Result<(), AwsError> {
    let iam = &clients.iam;
    // What holds the role, listed at once; then all of it let go at once; then the role.
    let (inline, attached, profiles) = futures::future::try_join3(
        async {
            absent_if(
                iam.list_role_policies()
                    .role_name(name)
                    .send()
                    .await
                    .map_err(err("ListRolePolicies", name)),
                &["NoSuchEntity"],
            )
        },
        async {
            absent_if(
                iam.list_attached_role_policies()
                    .role_name(name)
                    .send()
                    .await
                    .map_err(err("ListAttachedRolePolicies", name)),
                &["NoSuchEntity"],
            )
        },
        async {
            absent_if(
                iam.list_instance_profiles_for_role()
                    .role_name(name)
                    .send()
                    .await
                    .map_err(err("ListInstanceProfilesForRole", name)),
                &["NoSuchEntity"],
            )
        },
    )
    .await?;
    let Some(inline) = inline else { return Ok(()) };
    let policies = inline.policy_names().iter().map(|p| async move {
        iam.delete_role_policy()
            .role_name(name)
            .policy_name(p)
            .send()
            .await
            .map(|_| ())
            .map_err(err("DeleteRolePolicy", name))
    });
    let arns = attached.iter().flat_map(|a| a.attached_policies());
    let managed = arns.filter_map(|p| p.policy_arn()).map(|arn| async move {
        iam.detach_role_policy()
            .role_name(name)
            .policy_arn(arn)
            .send()
            .await
            .map(|_| ())
            .map_err(err("DetachRolePolicy", name))
    });
    let holders = profiles.iter().flat_map(|p| p.instance_profiles());
    let held = holders.map(|p| async move {
        iam.remove_role_from_instance_profile()
            .role_name(name)
            .instance_profile_name(p.instance_profile_name())
            .send()
            .await
            .map(|_| ())
            .map_err(err("RemoveRoleFromInstanceProfile", name))
    });
    futures::future::try_join3(
        try_join_all(policies),
        try_join_all(managed),
        try_join_all(held),
    )
    .await?;
    absent_if(
        iam.delete_role()
            .role_name(name)
            .send()
            .await
            .map_err(err("DeleteRole", name)),
        &["NoSuchEntity"],
    )?;
    Ok(())
}

/// Roles and instance profiles live under the stack's path (`/baken/<stack>/`), so one ARN
/// pattern covers them; the only managed policy baken attaches is Systems Manager's.
pub fn permissions(scope: &super::permissions::Scope) -> Vec<super::permissions::Statement> {
    use super::permissions::allow;
    let path = role_path(&scope.stack.name);
    let account = scope.account;
    let roles = vec![format!("arn:aws:iam::{account}:role{path}*")];
    let profiles = vec![format!("arn:aws:iam::{account}:instance-profile{path}*")];
    let mut out = vec![
        allow(
            "IamList",
            "iam",
            &["ListRoles", "ListInstanceProfiles"],
            vec!["*".into()],
        ),
        allow(
            "IamRoles",
            "iam",
            &[
                "GetRole",
                "CreateRole",
                "DeleteRole",
                "TagRole",
                "UpdateAssumeRolePolicy",
                "GetRolePolicy",
                "ListRolePolicies",
                "PutRolePolicy",
                "DeleteRolePolicy",
                "ListAttachedRolePolicies",
                "ListInstanceProfilesForRole",
            ],
            roles.clone(),
        ),
        allow(
            "IamInstanceProfilesRead",
            "iam",
            &["GetInstanceProfile"],
            profiles.clone(),
        ),
    ];
    if scope.jravan() {
        out.push(
            allow(
                "IamAttachSsmPolicy",
                "iam",
                &["AttachRolePolicy", "DetachRolePolicy"],
                roles.clone(),
            )
            .when(serde_json::json!({"ArnEquals": {"iam:PolicyARN": crate::desired::gateway::SSM_CORE_POLICY}})),
        );
        out.push(allow(
            "IamInstanceProfiles",
            "iam",
            &[
                "CreateInstanceProfile",
                "DeleteInstanceProfile",
                "TagInstanceProfile",
                "AddRoleToInstanceProfile",
                "RemoveRoleFromInstanceProfile",
            ],
            profiles,
        ));
        out.push(
            allow("IamPassGatewayRole", "iam", &["PassRole"], roles).when(
                serde_json::json!({"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}),
            ),
        );
    }
    out
}

/// The roles. The gateway's and the scheduler's (jravan mode's own) are looked for in either
/// mode: in the way, or left by jravan, and compared when the plan is made for jravan mode from
/// a read for the manifest's (status of a stack deployed with `--mode jravan`).
pub const READER: Reader = Reader {
    name: "roles",
    read: |cx| Box::pin(read_part(cx)),
};

async fn read_part(cx: &ReadContext<'_>) -> Result<LiveState, AwsError> {
    let gateway = gateway_instance_name(&cx.stack.name);
    let scheduler = role_name(&cx.stack.name, "scheduler");
    let jravan_only = [&gateway, &scheduler];
    let desired = cx.wanted(Kind::Role);
    let wanted = with(desired.clone(), &jravan_only);
    // Read ahead: the roles the last run left, and jravan's own (their GetRole is sent either
    // way).
    let expected = cx.ahead(Kind::Role);
    let ahead = cx.ahead_and(Kind::Role, &jravan_only);
    let names = RoleNames {
        wanted: &wanted,
        desired: &desired,
        ahead: &ahead,
        expected: &expected,
    };
    Ok(part(read(cx.clients, &cx.stack.name, names).await?))
}

impl Seam for RoleSpec {
    const READ_BY: Reader = READER;
    const ROUNDS: u32 = 2;
    async fn create(&self, cx: &StepContext<'_>) -> Result<(), AwsError> {
        create(cx.clients, self).await
    }
    async fn update(&self, cx: &StepContext<'_>) -> Result<(), AwsError> {
        update(cx.clients, self, &cx.changed()).await
    }
    async fn delete(cx: &StepContext<'_>) -> Result<(), AwsError> {
        delete(cx.clients, cx.name()).await
    }
}
