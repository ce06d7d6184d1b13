//! IAM policy documents compared statement by statement, so a plan shows which actions and
//! resources a change adds or removes, in full, instead of two long JSON strings. Statements are
//! matched by `Sid`, or by position when they have none.

use std::collections::BTreeSet;

use serde_json::Value;

/// The statements of a policy document, when `text` is one.
fn statements(text: &str) -> Option<Vec<Value>> {
    let doc: Value = serde_json::from_str(text).ok()?;
    match doc.get("Statement")? {
        Value::Array(a) => Some(a.clone()),
        one @ Value::Object(_) => Some(vec![one.clone()]),
        _ => None,
    }
}

fn name(s: &Value, i: usize) -> String {
    s.get("Sid")
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| format!("#{}", i + 1))
}

/// A string or a list of strings (`Action`, `Resource`), as a set.
fn set(s: &Value, key: &str) -> BTreeSet<String> {
    match s.get(key) {
        Some(Value::String(v)) => BTreeSet::from([v.clone()]),
        Some(Value::Array(a)) => a
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| v.to_string())
            })
            .collect(),
        Some(other) => BTreeSet::from([other.to_string()]),
        None => BTreeSet::new(),
    }
}

fn summary(s: &Value) -> String {
    let effect = s.get("Effect").and_then(Value::as_str).unwrap_or("?");
    let list = |k| set(s, k).into_iter().collect::<Vec<_>>().join(", ");
    let mut out = format!("{effect} {}", list("Action"));
    if s.get("Resource").is_some() {
        out.push_str(&format!(" on {}", list("Resource")));
    }
    if let Some(p) = s.get("Principal") {
        out.push_str(&format!(" for {p}"));
    }
    if let Some(c) = s.get("Condition") {
        out.push_str(&format!(" when {c}"));
    }
    out
}

/// The statement-level difference of two policy documents, one line per change; None when
/// either side is not a policy document.
pub fn diff(live: Option<&str>, wanted: Option<&str>) -> Option<Vec<String>> {
    let empty = Some(Vec::new());
    let old = live.map_or(empty.clone(), statements)?;
    let new = wanted.map_or(empty, statements)?;
    let named = |v: &[Value]| -> Vec<(String, Value)> {
        v.iter()
            .enumerate()
            .map(|(i, s)| (name(s, i), s.clone()))
            .collect()
    };
    let (old, new) = (named(&old), named(&new));
    let mut out = Vec::new();
    for (n, s) in &old {
        if !new.iter().any(|(m, _)| m == n) {
            out.push(format!("- statement {n}: {}", summary(s)));
        }
    }
    for (n, s) in &new {
        let Some((_, was)) = old.iter().find(|(m, _)| m == n) else {
            out.push(format!("+ statement {n}: {}", summary(s)));
            continue;
        };
        if was == s {
            continue;
        }
        let mut parts = Vec::new();
        for key in ["Action", "Resource", "NotAction", "NotResource"] {
            let (a, b) = (set(was, key), set(s, key));
            parts.extend(
                b.difference(&a)
                    .map(|x| format!("+ {} {x}", key.to_lowercase())),
            );
            parts.extend(
                a.difference(&b)
                    .map(|x| format!("- {} {x}", key.to_lowercase())),
            );
        }
        for key in ["Effect", "Principal", "Condition"] {
            if was.get(key) != s.get(key) {
                let show = |v: Option<&Value>| v.map_or("(none)".to_string(), Value::to_string);
                parts.push(format!(
                    "{}: {} → {}",
                    key.to_lowercase(),
                    show(was.get(key)),
                    show(s.get(key))
                ));
            }
        }
        out.push(format!("~ statement {n}: {}", parts.join("; ")));
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::diff;

    #[test]
    fn statements_are_compared_by_sid_with_actions_and_resources_in_full() {
        let live = r#"{"Version":"2012-10-17","Statement":[
            {"Sid":"Cart","Effect":"Allow","Action":["dynamodb:GetItem"],"Resource":"arn:aws:dynamodb:ap-northeast-1:1:table/t-cart"},
            {"Sid":"Old","Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#;
        let wanted = r#"{"Version":"2012-10-17","Statement":[
            {"Sid":"Cart","Effect":"Allow","Action":["dynamodb:GetItem","dynamodb:PutItem"],"Resource":["arn:aws:dynamodb:ap-northeast-1:1:table/t-cart"]},
            {"Sid":"Logs","Effect":"Allow","Action":["logs:PutLogEvents"],"Resource":["arn:aws:logs:ap-northeast-1:1:log-group:/aws/lambda/t-get-races:*"]}]}"#;
        assert_eq!(
            diff(Some(live), Some(wanted)).unwrap(),
            vec![
                "- statement Old: Allow s3:* on *".to_string(),
                "~ statement Cart: + action dynamodb:PutItem".to_string(),
                "+ statement Logs: Allow logs:PutLogEvents on arn:aws:logs:ap-northeast-1:1:log-group:/aws/lambda/t-get-races:*".to_string(),
            ]
        );
        assert_eq!(diff(Some("not json"), Some(wanted)), None);
        // A policy added by hand, which the manifest does not want: every statement removed.
        assert_eq!(
            diff(
                Some(r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#),
                None
            )
            .unwrap(),
            vec!["- statement #1: Allow * on *".to_string()]
        );
    }
}
