//! References between resources whose ids AWS assigns (a subnet's `subnet-…`, the instance's
//! private IP). A spec holds a placeholder `{ref:<kind>/<name>}`; the plan fills in what the live
//! state knows, and the executor fills in the rest as resources are created. An unfilled
//! placeholder never equals a live value, so a dependent of something new shows as a change.

use std::collections::BTreeMap;

use super::Kind;

/// Placeholder key → physical value.
pub type Refs = BTreeMap<String, String>;

pub fn id_key(kind: Kind, name: &str) -> String {
    format!("{}/{name}", kind.label())
}

pub fn private_ip_key(instance: &str) -> String {
    format!("private-ip/{instance}")
}

/// The placeholder for the AWS id of `kind` `name`.
pub fn id_ref(kind: Kind, name: &str) -> String {
    format!("{{ref:{}}}", id_key(kind, name))
}

pub fn private_ip_ref(instance: &str) -> String {
    format!("{{ref:{}}}", private_ip_key(instance))
}

/// Fills in the placeholders `refs` knows; the others stay.
pub fn fill_known(text: &str, refs: &Refs) -> String {
    if !text.contains("{ref:") {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{ref:") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 5..];
        let Some(end) = after.find('}') else {
            // An unterminated placeholder is text: keep it once, as it is.
            out.push_str(&rest[start..]);
            return out;
        };
        match refs.get(&after[..end]) {
            Some(v) => out.push_str(v),
            None => out.push_str(&rest[start..start + 5 + end + 1]),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

/// Fills in every placeholder, or names the first one not known yet.
pub fn fill(text: &str, refs: &Refs) -> Result<String, String> {
    let out = fill_known(text, refs);
    match out.find("{ref:") {
        None => Ok(out),
        Some(i) => {
            let key = &out[i + 5..];
            Err(key[..key.find('}').unwrap_or(key.len())].to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_references_are_filled_and_unknown_ones_kept() {
        let refs = Refs::from([("subnet/a".to_string(), "subnet-1".to_string())]);
        let text = format!(
            "{} {}",
            id_ref(Kind::Subnet, "a"),
            id_ref(Kind::Subnet, "b")
        );
        assert_eq!(fill_known(&text, &refs), "subnet-1 {ref:subnet/b}");
        assert_eq!(fill(&text, &refs).unwrap_err(), "subnet/b");
        assert_eq!(fill(&id_ref(Kind::Subnet, "a"), &refs).unwrap(), "subnet-1");
    }

    /// Regression: the text before an unterminated `{ref:` came out twice.
    #[test]
    fn fill_known_keeps_an_unterminated_placeholder_once() {
        let refs = Refs::from([("subnet/a".to_string(), "subnet-1".to_string())]);
        assert_eq!(
            fill_known("{ref:subnet/a} then {ref:oops", &refs),
            "subnet-1 then {ref:oops"
        );
        assert_eq!(fill_known("before {ref:", &refs), "before {ref:");
    }
}
