//! The retain template: the stack's own template with `DeletionPolicy: Retain` and
//! `UpdateReplacePolicy: Retain` on every resource, so that deleting the stack leaves every
//! resource where it is. Nothing else may change, or the update would touch resources:
//! - CDK's `CheckBootstrapVersion` rule and its `BootstrapVersion` parameter are dropped. They only
//!   guard `cdk deploy`, and CloudFormation re-reads the parameter from the CDK bootstrap stack on
//!   every update, which fails when that stack is gone;
//! - a parameter of type `AWS::SSM::Parameter::Value<…>` is re-resolved on every update, so a
//!   newer published image would replace the instance. Each one named in `pins` becomes a plain
//!   parameter with the pinned value (the live instance's image);
//! - every other parameter keeps its previous value.

use std::collections::BTreeMap;

use serde_json::Value;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum TemplateError {
    #[error("the template of stack {stack} is not JSON ({reason}); baken adopt reads JSON templates, as CDK writes them")]
    NotJson { stack: String, reason: String },
    #[error("the template of stack {stack} has no Resources")]
    NoResources { stack: String },
}

/// What the retain update submits.
#[derive(Debug, Clone, PartialEq)]
pub struct Retained {
    /// The template, compact.
    pub body: String,
    /// Parameter key → the value to pass, or None for its previous value.
    pub parameters: Vec<(String, Option<String>)>,
    /// What was taken out or pinned, for the plan to say.
    pub notes: Vec<String>,
}

const BOOTSTRAP_RULE: &str = "CheckBootstrapVersion";
const BOOTSTRAP_PARAMETER: &str = "BootstrapVersion";
const SSM_TYPE: &str = "AWS::SSM::Parameter::Value<";

/// Whether `v` contains `{"Ref": name}` anywhere.
fn refers_to(v: &Value, name: &str) -> bool {
    match v {
        Value::Object(m) => {
            m.get("Ref").and_then(Value::as_str) == Some(name)
                || m.values().any(|x| refers_to(x, name))
        }
        Value::Array(a) => a.iter().any(|x| refers_to(x, name)),
        _ => false,
    }
}

/// The parameters of `template` whose type is an SSM parameter value of an image id, with the
/// logical ids of the resources that use each.
pub fn ssm_image_parameters(template: &Value) -> Vec<(String, Vec<String>)> {
    let Some(params) = template.get("Parameters").and_then(Value::as_object) else {
        return Vec::new();
    };
    let resources = template.get("Resources").and_then(Value::as_object);
    params
        .iter()
        .filter(|(_, p)| {
            p.get("Type")
                .and_then(Value::as_str)
                .is_some_and(|t| t.starts_with(SSM_TYPE) && t.contains("Image::Id"))
        })
        .map(|(k, _)| {
            let users = resources
                .into_iter()
                .flatten()
                .filter(|(_, r)| refers_to(r, k))
                .map(|(l, _)| l.clone())
                .collect();
            (k.clone(), users)
        })
        .collect()
}

pub fn parse(stack: &str, template: &str) -> Result<Value, TemplateError> {
    let v: Value = serde_json::from_str(template).map_err(|e| TemplateError::NotJson {
        stack: stack.to_string(),
        reason: e.to_string(),
    })?;
    if !v.get("Resources").is_some_and(Value::is_object) {
        return Err(TemplateError::NoResources {
            stack: stack.to_string(),
        });
    }
    Ok(v)
}

/// The resources of `template` that are not retained on deletion and on replacement.
pub fn not_retained(template: &Value) -> Vec<String> {
    let retains = |r: &Value, policy: &str| r.get(policy).and_then(Value::as_str) == Some("Retain");
    template
        .get("Resources")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter(|(_, r)| !(retains(r, "DeletionPolicy") && retains(r, "UpdateReplacePolicy")))
        .map(|(k, _)| k.clone())
        .collect()
}

/// Whether every resource of `template` is retained on deletion and on replacement.
pub fn all_retained(template: &Value) -> bool {
    template.get("Resources").is_some_and(Value::is_object) && not_retained(template).is_empty()
}

/// The retain template of `stack`'s `template`; `pins` maps SSM parameters to fixed values.
pub fn retain(
    stack: &str,
    template: &str,
    pins: &BTreeMap<String, String>,
) -> Result<Retained, TemplateError> {
    let mut v = parse(stack, template)?;
    let mut notes = Vec::new();
    if let Some(rs) = v.get_mut("Resources").and_then(Value::as_object_mut) {
        for r in rs.values_mut().filter_map(Value::as_object_mut) {
            r.insert("DeletionPolicy".into(), "Retain".into());
            r.insert("UpdateReplacePolicy".into(), "Retain".into());
        }
    }
    if let Some(rules) = v.get_mut("Rules").and_then(Value::as_object_mut) {
        if rules.remove(BOOTSTRAP_RULE).is_some() {
            notes.push(format!(
                "CDK's {BOOTSTRAP_RULE} rule is dropped (it needs the CDK bootstrap stack)"
            ));
        }
        if rules.is_empty() {
            v.as_object_mut().map(|o| o.remove("Rules"));
        }
    }
    let bootstrap_used = {
        let rest = v
            .as_object()
            .map(|o| {
                o.iter()
                    .filter(|(k, _)| *k != "Parameters")
                    .any(|(_, x)| refers_to(x, BOOTSTRAP_PARAMETER))
            })
            .unwrap_or(false);
        rest
    };
    let mut parameters = Vec::new();
    if let Some(params) = v.get_mut("Parameters").and_then(Value::as_object_mut) {
        if !bootstrap_used && params.remove(BOOTSTRAP_PARAMETER).is_some() {
            notes.push(format!("CDK's {BOOTSTRAP_PARAMETER} parameter is dropped"));
        }
        for (key, p) in params.iter_mut() {
            let pin = pins.get(key);
            let ty = p
                .get("Type")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            match (
                pin,
                ty.strip_prefix(SSM_TYPE).and_then(|t| t.strip_suffix('>')),
            ) {
                (Some(value), Some(inner)) => {
                    if let Some(o) = p.as_object_mut() {
                        o.insert("Type".into(), inner.into());
                        o.remove("Default");
                    }
                    notes.push(format!("parameter {key} is pinned to {value} (it was re-read from Systems Manager on every update)"));
                    parameters.push((key.clone(), Some(value.clone())));
                }
                _ => parameters.push((key.clone(), None)),
            }
        }
        if params.is_empty() {
            v.as_object_mut().map(|o| o.remove("Parameters"));
        }
    }
    Ok(Retained {
        body: v.to_string(),
        parameters,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Written by hand in the shape `cdk synth` gives: a table, an instance on an SSM image
    /// parameter, the bootstrap-version parameter and rule.
    const CDK: &str = r#"{
      "Parameters": {
        "SsmParameterValueawsserviceamiwindowslatestC96584B6F00A464EAD1953AFF4B05118Parameter": {
          "Type": "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>",
          "Default": "/aws/service/ami-windows-latest/Windows_Server-2022-Japanese-Full-Base"
        },
        "BootstrapVersion": {
          "Type": "AWS::SSM::Parameter::Value<String>",
          "Default": "/cdk-bootstrap/hnb659fds/version"
        }
      },
      "Resources": {
        "CartTable": {"Type": "AWS::DynamoDB::Table", "Properties": {"TableName": "t"},
                      "UpdateReplacePolicy": "Delete", "DeletionPolicy": "Delete",
                      "Metadata": {"aws:cdk:path": "S/CartTable/Resource"}},
        "Server": {"Type": "AWS::EC2::Instance", "Properties": {"ImageId": {"Ref": "SsmParameterValueawsserviceamiwindowslatestC96584B6F00A464EAD1953AFF4B05118Parameter"}}}
      },
      "Rules": {
        "CheckBootstrapVersion": {"Assertions": [{"Assert": {"Fn::Not": [{"Fn::Contains": [["1", "2", "3", "4", "5"], {"Ref": "BootstrapVersion"}]}]}}]}
      }
    }"#;

    const IMAGE: &str =
        "SsmParameterValueawsserviceamiwindowslatestC96584B6F00A464EAD1953AFF4B05118Parameter";

    #[test]
    fn every_resource_is_retained_and_nothing_else_changes_but_the_cdk_bootstrap_check() {
        let pins = BTreeMap::from([(IMAGE.to_string(), "ami-0live".to_string())]);
        let out = retain("S", CDK, &pins).unwrap();
        let v: Value = serde_json::from_str(&out.body).unwrap();
        assert!(all_retained(&v));
        assert!(!all_retained(&parse("S", CDK).unwrap()));
        assert_eq!(v["Resources"]["CartTable"]["Properties"]["TableName"], "t");
        assert_eq!(
            v["Resources"]["CartTable"]["Metadata"]["aws:cdk:path"],
            "S/CartTable/Resource"
        );
        assert!(v.get("Rules").is_none(), "{v}");
        assert!(v["Parameters"].get("BootstrapVersion").is_none());
        assert_eq!(v["Parameters"][IMAGE]["Type"], "AWS::EC2::Image::Id");
        assert!(v["Parameters"][IMAGE].get("Default").is_none());
        assert_eq!(
            out.parameters,
            vec![(IMAGE.to_string(), Some("ami-0live".to_string()))]
        );
        assert_eq!(out.notes.len(), 3, "{:?}", out.notes);
    }

    #[test]
    fn an_unpinned_parameter_keeps_its_previous_value_and_the_image_users_are_found() {
        let out = retain("S", CDK, &BTreeMap::new()).unwrap();
        assert_eq!(out.parameters, vec![(IMAGE.to_string(), None)]);
        let v = parse("S", CDK).unwrap();
        assert_eq!(
            ssm_image_parameters(&v),
            vec![(IMAGE.to_string(), vec!["Server".to_string()])]
        );
    }

    #[test]
    fn a_yaml_template_is_refused_with_the_stack_named() {
        let e = retain("S", "Resources:\n  A: {Type: X}\n", &BTreeMap::new()).unwrap_err();
        assert!(matches!(e, TemplateError::NotJson { .. }));
        assert!(e.to_string().contains("stack S"), "{e}");
    }
}
