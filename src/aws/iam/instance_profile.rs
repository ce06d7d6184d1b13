//! Instance profiles: the gateway instance's holder of its role.

use super::{add_wanted, err, iam_tags};
use crate::aws::client::error::{absent_if, on};
use crate::aws::read::{part, with, ReadContext, Reader};
use crate::aws::read_ahead::listed_then_read;
use crate::aws::seam::{Seam, StepContext};
use crate::aws::{AwsError, Clients};
use crate::desired::gateway::InstanceProfileAttr;
use crate::desired::InstanceProfileSpec;
use crate::live::LiveState;
use crate::live::{LiveResource, Owner};
use crate::model::names::gateway_instance_name;
use crate::model::names::role_path;
use crate::resource::{Attrs, Kind, ResourceId};

/// Instance profiles under the stack's path, plus any holding a `wanted` name elsewhere.
/// `ahead`: names read alongside the list (`read_ahead`).
pub async fn read_instance_profiles(
    clients: &Clients,
    stack: &str,
    wanted: &[String],
    ahead: &[String],
) -> Result<Vec<LiveResource>, AwsError> {
    let list = async {
        let mut names = Vec::new();
        let mut pages = clients
            .iam
            .list_instance_profiles()
            .path_prefix(role_path(stack))
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(err("ListInstanceProfiles", &role_path(stack)))?;
            names.extend(
                page.instance_profiles
                    .into_iter()
                    .map(|p| p.instance_profile_name),
            );
        }
        add_wanted(&mut names, wanted);
        Ok(names)
    };
    listed_then_read(list, ahead, |n| async move {
        let got = absent_if(
            clients
                .iam
                .get_instance_profile()
                .instance_profile_name(&n)
                .send()
                .await
                .map_err(on("GetInstanceProfile", format!("instance profile {n}"))),
            &["NoSuchEntity", "NoSuchEntityException"],
        )?;
        let Some(p) = got.and_then(|g| g.instance_profile) else {
            return Ok::<_, AwsError>(None);
        };
        let owner = Owner::from_tags(stack, p.tags().iter().map(|t| (t.key(), t.value())));
        let mut attrs = Attrs::from([(InstanceProfileAttr::Path.key(), p.path().to_string())]);
        if let Some(r) = p.roles().first() {
            attrs.insert(InstanceProfileAttr::Role.key(), r.role_name().to_string());
        }
        Ok(Some(LiveResource::new(
            ResourceId::new(Kind::InstanceProfile, n),
            attrs,
            owner,
        )))
    })
    .await
}

pub async fn create_instance_profile(
    clients: &Clients,
    spec: &InstanceProfileSpec,
) -> Result<(), AwsError> {
    let res = format!("instance profile {}", spec.name);
    clients
        .iam
        .create_instance_profile()
        .instance_profile_name(&spec.name)
        .path(&spec.path)
        .set_tags(Some(iam_tags(&spec.tags)))
        .send()
        .await
        .map_err(on("CreateInstanceProfile", &res))?;
    set_profile_role(clients, spec, None).await
}

/// Puts the spec's role in the profile (a profile holds one role), replacing `current`.
pub async fn set_profile_role(
    clients: &Clients,
    spec: &InstanceProfileSpec,
    current: Option<&str>,
) -> Result<(), AwsError> {
    let res = format!("instance profile {}", spec.name);
    if let Some(old) = current {
        clients
            .iam
            .remove_role_from_instance_profile()
            .instance_profile_name(&spec.name)
            .role_name(old)
            .send()
            .await
            .map_err(on("RemoveRoleFromInstanceProfile", &res))?;
    }
    clients
        .iam
        .add_role_to_instance_profile()
        .instance_profile_name(&spec.name)
        .role_name(&spec.role)
        .send()
        .await
        .map_err(on("AddRoleToInstanceProfile", &res))?;
    Ok(())
}

/// Removes the profile's roles, then the profile.
pub async fn delete_instance_profile(clients: &Clients, name: &str) -> Result<(), AwsError> {
    let res = format!("instance profile {name}");
    let got = absent_if(
        clients
            .iam
            .get_instance_profile()
            .instance_profile_name(name)
            .send()
            .await
            .map_err(on("GetInstanceProfile", &res)),
        &["NoSuchEntity"],
    )?;
    let Some(p) = got.and_then(|g| g.instance_profile) else {
        return Ok(());
    };
    for r in p.roles() {
        clients
            .iam
            .remove_role_from_instance_profile()
            .instance_profile_name(name)
            .role_name(r.role_name())
            .send()
            .await
            .map_err(on("RemoveRoleFromInstanceProfile", &res))?;
    }
    absent_if(
        clients
            .iam
            .delete_instance_profile()
            .instance_profile_name(name)
            .send()
            .await
            .map_err(on("DeleteInstanceProfile", &res)),
        &["NoSuchEntity"],
    )?;
    Ok(())
}

/// The instance profiles; the gateway's is looked for in either mode.
pub const READER: Reader = Reader {
    name: "instance-profiles",
    read: |cx| Box::pin(read_part(cx)),
};

async fn read_part(cx: &ReadContext<'_>) -> Result<LiveState, AwsError> {
    let gateway = gateway_instance_name(&cx.stack.name);
    let profiles = with(cx.wanted(Kind::InstanceProfile), &[&gateway]);
    let ahead = cx.ahead_and(Kind::InstanceProfile, &[&gateway]);
    let found = read_instance_profiles(cx.clients, &cx.stack.name, &profiles, &ahead).await?;
    Ok(part(found))
}

impl Seam for InstanceProfileSpec {
    const READ_BY: Reader = READER;
    const ROUNDS: u32 = 2;
    async fn create(&self, cx: &StepContext<'_>) -> Result<(), AwsError> {
        create_instance_profile(cx.clients, self).await
    }
    /// The only updatable attribute is the role in the profile.
    async fn update(&self, cx: &StepContext<'_>) -> Result<(), AwsError> {
        set_profile_role(
            cx.clients,
            self,
            cx.live_value(InstanceProfileAttr::Role.name()).as_deref(),
        )
        .await
    }
    async fn delete(cx: &StepContext<'_>) -> Result<(), AwsError> {
        delete_instance_profile(cx.clients, cx.name()).await
    }
}
