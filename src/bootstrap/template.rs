//! `{{NAME}}` placeholders filled from a table. A placeholder without a value, or a value no
//! placeholder uses, is an error: a typo in a template must not reach an instance.

use std::collections::BTreeMap;

use super::BootstrapError;

pub fn fill(
    template_name: &str,
    template: &str,
    values: &BTreeMap<&str, String>,
) -> Result<String, BootstrapError> {
    let mut out = String::with_capacity(template.len());
    let mut used = std::collections::BTreeSet::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find("}}").ok_or_else(|| BootstrapError::Template {
            template: template_name.into(),
            message: "a `{{` is never closed".into(),
        })?;
        let key = &after[..end];
        let value = values.get(key).ok_or_else(|| BootstrapError::Template {
            template: template_name.into(),
            message: format!("no value for the placeholder {{{{{key}}}}}"),
        })?;
        out.push_str(value);
        used.insert(key);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    if let Some(unused) = values.keys().find(|k| !used.contains(*k)) {
        return Err(BootstrapError::Template {
            template: template_name.into(),
            message: format!("the template never uses {{{{{unused}}}}}"),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(pairs: &[(&'static str, &str)]) -> BTreeMap<&'static str, String> {
        pairs.iter().map(|(k, v)| (*k, v.to_string())).collect()
    }

    #[test]
    fn fills_every_placeholder() {
        let out = fill(
            "t",
            "a {{X}} b {{Y}} {{X}}",
            &values(&[("X", "1"), ("Y", "2")]),
        )
        .unwrap();
        assert_eq!(out, "a 1 b 2 1");
    }

    #[test]
    fn a_placeholder_without_value_is_an_error() {
        let err = fill("t", "{{X}} {{Z}}", &values(&[("X", "1")])).unwrap_err();
        assert!(err.to_string().contains("{{Z}}"), "{err}");
    }

    #[test]
    fn an_unused_value_is_an_error() {
        let err = fill("t", "{{X}}", &values(&[("X", "1"), ("Y", "2")])).unwrap_err();
        assert!(err.to_string().contains("{{Y}}"), "{err}");
    }
}
