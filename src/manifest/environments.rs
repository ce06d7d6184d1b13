//! Environments: named overlays of the manifest (`environments:`), and the template of preview
//! stacks (`previews:`) for the names not listed. The chosen one is laid over the rest of the
//! manifest before it is read into types, so an environment is checked as a whole manifest, and
//! a problem in what the overlay sets is placed where the overlay says it.

use serde_yaml::{Mapping, Value};

use super::error::{Location, Problem};

/// The environment a run is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chosen {
    pub name: String,
    /// The overlay's key path in the file: `environments.NAME` or `previews`.
    pub key: String,
    /// Made from the `previews:` template.
    pub preview: bool,
}

/// A preview's name becomes part of AWS names: short, lower case, digits and hyphens.
const MAX_PREVIEW_NAME: usize = 32;

fn problem(key: &str, location: Option<Location>, message: String) -> Problem {
    Problem {
        key: key.to_string(),
        location,
        message,
    }
}

/// Takes `environments` and `previews` out of the manifest's top mapping `doc` and lays the
/// environment `env` over what is left. A manifest with environments needs one chosen: running
/// a pipeline's step without `--env` must not reconcile whichever stack the bare manifest names.
pub fn choose(
    doc: &mut Value,
    env: Option<&str>,
    find: impl Fn(&str) -> Option<Location>,
) -> Result<Option<Chosen>, Problem> {
    let Some(top) = doc.as_mapping_mut() else {
        return Ok(None);
    };
    let environments = top.remove("environments");
    let previews = top.remove("previews");
    let names: Vec<String> =
        match &environments {
            Some(Value::Mapping(m)) => m
                .keys()
                .filter_map(|k| k.as_str().map(str::to_string))
                .collect(),
            Some(Value::Null) | None => Vec::new(),
            Some(_) => return Err(problem(
                "environments",
                find("environments"),
                "`environments` is a mapping of names to partial manifests (`staging: {stack: …}`)"
                    .into(),
            )),
        };
    if let Some(p) = &previews {
        if !matches!(p, Value::Mapping(_)) {
            return Err(problem(
                "previews",
                find("previews"),
                "`previews` is a partial manifest whose `stack` holds `{name}`".into(),
            ));
        }
    }
    let Some(env) = env else {
        if names.is_empty() && previews.is_none() {
            return Ok(None);
        }
        return Err(problem(
            "environments",
            find("environments").or_else(|| find("previews")),
            format!(
                "this manifest has environments ({}): choose one with --env NAME (or BAKEN_ENV)",
                names.join(", ")
            ),
        ));
    };
    let listed = environments
        .as_ref()
        .and_then(Value::as_mapping)
        .and_then(|m| m.get(env));
    let (overlay, chosen) = match (listed, &previews) {
        (Some(o), _) => (
            o.clone(),
            Chosen {
                name: env.to_string(),
                key: format!("environments.{env}"),
                preview: false,
            },
        ),
        (None, Some(template)) => {
            check_preview_name(env, &find)?;
            (
                preview_of(template, env),
                Chosen {
                    name: env.to_string(),
                    key: "previews".into(),
                    preview: true,
                },
            )
        }
        (None, None) => {
            return Err(problem(
                "environments",
                find("environments"),
                match names.is_empty() {
                    true => format!("--env {env}: this manifest has no environments and no `previews:` template"),
                    false => format!(
                        "--env {env}: no such environment (this manifest has {}), and no `previews:` template for other names",
                        names.join(", ")
                    ),
                },
            ))
        }
    };
    match overlay {
        Value::Mapping(o) => lay_over(top, o),
        Value::Null => {}
        _ => {
            return Err(problem(
                &chosen.key,
                find(&chosen.key),
                "an environment is a partial manifest: a mapping (`{}` for none of its own)".into(),
            ))
        }
    }
    Ok(Some(chosen))
}

fn check_preview_name(name: &str, find: &impl Fn(&str) -> Option<Location>) -> Result<(), Problem> {
    let ok = !name.is_empty()
        && name.len() <= MAX_PREVIEW_NAME
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.starts_with('-')
        && !name.ends_with('-');
    match ok {
        true => Ok(()),
        false => Err(problem(
            "previews",
            find("previews"),
            format!("--env {name}: a preview's name is 1 to {MAX_PREVIEW_NAME} lower-case letters, digits and inner hyphens (`pr-123`)"),
        )),
    }
}

/// The template with `{name}` replaced in every text, and what a preview is unless the template
/// says otherwise: mock mode, nothing protected from deletion (it is removed when its pull
/// request closes).
fn preview_of(template: &Value, name: &str) -> Value {
    fn fill(v: &Value, name: &str) -> Value {
        match v {
            Value::String(s) => Value::String(s.replace("{name}", name)),
            Value::Mapping(m) => {
                Value::Mapping(m.iter().map(|(k, v)| (k.clone(), fill(v, name))).collect())
            }
            Value::Sequence(s) => Value::Sequence(s.iter().map(|v| fill(v, name)).collect()),
            other => other.clone(),
        }
    }
    let mut out = fill(template, name);
    if let Some(m) = out.as_mapping_mut() {
        m.entry("mode".into()).or_insert("mock".into());
        m.entry("protection".into()).or_insert(false.into());
    }
    out
}

/// `overlay` laid over `base`: mappings merge key by key, anything else is replaced.
fn lay_over(base: &mut Mapping, overlay: Mapping) {
    for (k, v) in overlay {
        match (base.get_mut(&k), v) {
            (Some(Value::Mapping(b)), Value::Mapping(o)) => lay_over(b, o),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(text: &str) -> Value {
        serde_yaml::from_str(text).unwrap()
    }

    const MANIFEST: &str = "stack: kaigi\nfunctions: {memory: 256, timeout: 10}\nenvironments:\n  staging:\n    stack: kaigi-staging\n    functions: {memory: 512}\n  prod: {}\npreviews:\n  stack: kaigi-{name}\n";

    #[test]
    fn an_environment_overlays_key_by_key() {
        let mut d = doc(MANIFEST);
        let chosen = choose(&mut d, Some("staging"), |_| None).unwrap().unwrap();
        assert_eq!(chosen.key, "environments.staging");
        assert_eq!(d["stack"], "kaigi-staging");
        assert_eq!(d["functions"]["memory"], 512);
        assert_eq!(d["functions"]["timeout"], 10);
        assert!(d.get("environments").is_none() && d.get("previews").is_none());
        let mut d = doc(MANIFEST);
        choose(&mut d, Some("prod"), |_| None).unwrap();
        assert_eq!(d["stack"], "kaigi");
    }

    #[test]
    fn a_preview_is_the_template_with_its_name_in_mock_mode_unprotected() {
        let mut d = doc(MANIFEST);
        let chosen = choose(&mut d, Some("pr-123"), |_| None).unwrap().unwrap();
        assert!(chosen.preview);
        assert_eq!(d["stack"], "kaigi-pr-123");
        assert_eq!(d["mode"], "mock");
        assert_eq!(d["protection"], false);
        for bad in ["PR-1", "pr_1", "-pr", "a".repeat(33).as_str()] {
            assert!(
                choose(&mut doc(MANIFEST), Some(bad), |_| None).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn environments_must_be_chosen_and_exist() {
        let e = choose(&mut doc(MANIFEST), None, |_| None).unwrap_err();
        assert!(
            e.message.contains("staging, prod") && e.message.contains("--env"),
            "{}",
            e.message
        );
        let e = choose(
            &mut doc("stack: a\nenvironments: {prod: {}}\n"),
            Some("stage"),
            |_| None,
        )
        .unwrap_err();
        assert!(e.message.contains("no such environment"), "{}", e.message);
        // A manifest without environments works as before, and takes no --env.
        assert_eq!(
            choose(&mut doc("stack: a\n"), None, |_| None).unwrap(),
            None
        );
        assert!(choose(&mut doc("stack: a\n"), Some("x"), |_| None).is_err());
    }
}
