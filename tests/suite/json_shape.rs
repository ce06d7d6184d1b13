//! Reads the field tables of docs/json.md and checks a JSON document against one of them: every
//! field in the output must be documented with its type, and every field documented as present
//! "always" must be there whenever its parent is. The docs are the contract; this keeps the code
//! to it.

use std::collections::BTreeMap;

use serde_json::Value;

#[derive(Debug, Clone)]
struct Row {
    path: String,
    types: Vec<String>,
    always: bool,
}

pub struct Documented {
    sections: BTreeMap<String, Vec<Row>>,
}

/// A row's path relative to its table: `a`, `a.b`, `a[]`, `a[].b`.
fn parent(path: &str) -> &str {
    if let Some(p) = path.strip_suffix("[]") {
        return p;
    }
    path.rfind('.').map_or("", |i| &path[..i])
}

fn type_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

impl Documented {
    pub fn load() -> Documented {
        let path = crate::harness::checkout().join("docs/json.md");
        let text = std::fs::read_to_string(&path).expect("docs/json.md");
        let mut sections: BTreeMap<String, Vec<Row>> = BTreeMap::new();
        let mut current: Option<String> = None;
        for line in text.lines() {
            if let Some(h) = line
                .strip_prefix("## ")
                .or_else(|| line.strip_prefix("### "))
            {
                current = Some(h.trim().trim_matches('`').to_string());
                continue;
            }
            let (Some(section), Some(row)) = (&current, line.strip_prefix("| `")) else {
                continue;
            };
            let cells: Vec<&str> = row.split(" | ").collect();
            assert!(
                cells.len() >= 3,
                "docs/json.md: a field row needs 4 cells: {line}"
            );
            sections.entry(section.clone()).or_default().push(Row {
                path: cells[0].trim_end_matches('`').to_string(),
                types: cells[1].split(" or ").map(str::to_string).collect(),
                always: cells[2] == "always",
            });
        }
        Documented { sections }
    }

    /// The section's rows with shape names expanded into their own rows, by full path.
    fn expand(&self, section: &str) -> BTreeMap<String, Row> {
        let rows = self
            .sections
            .get(section)
            .unwrap_or_else(|| panic!("docs/json.md has no table `{section}`"));
        let mut out = BTreeMap::new();
        for r in rows {
            let mut types = Vec::new();
            for t in &r.types {
                if self.sections.contains_key(t.as_str()) && t != section {
                    types.push("object".to_string());
                    for (sub, row) in self.expand(t) {
                        let path = format!("{}.{sub}", r.path);
                        out.insert(path.clone(), Row { path, ..row });
                    }
                } else {
                    types.push(t.clone());
                }
            }
            out.insert(r.path.clone(), Row { types, ..r.clone() });
        }
        out
    }

    /// Every way `value` departs from the table `section`; empty when it conforms.
    pub fn problems(&self, section: &str, value: &Value) -> Vec<String> {
        let rows = self.expand(section);
        let mut problems = Vec::new();
        walk(&rows, "", value, &mut problems);
        problems
    }

    #[track_caller]
    pub fn check(&self, section: &str, value: &Value) {
        let problems = self.problems(section, value);
        assert!(
            problems.is_empty(),
            "`{section}` output does not match docs/json.md:\n  {}\n{}",
            problems.join("\n  "),
            serde_json::to_string_pretty(value).unwrap()
        );
    }
}

fn walk(rows: &BTreeMap<String, Row>, path: &str, v: &Value, problems: &mut Vec<String>) {
    if !path.is_empty() {
        let Some(row) = rows.get(path) else {
            problems.push(format!("{path}: not documented"));
            return;
        };
        let t = type_of(v);
        let ok = row
            .types
            .iter()
            .any(|d| d == t || (d == "number" && t == "integer"));
        if !ok {
            problems.push(format!(
                "{path}: is {t}, documented as {}",
                row.types.join(" or ")
            ));
        }
    }
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                walk(rows, &p, child, problems);
            }
            for r in rows.values() {
                if !r.always || r.path.ends_with("[]") || parent(&r.path) != path {
                    continue;
                }
                let key = if path.is_empty() {
                    r.path.as_str()
                } else {
                    &r.path[path.len() + 1..]
                };
                if !map.contains_key(key) {
                    problems.push(format!("{}: documented as always present, missing", r.path));
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                walk(rows, &format!("{path}[]"), item, problems);
            }
        }
        _ => {}
    }
}

#[test]
fn the_checker_finds_undocumented_missing_and_mistyped_fields() {
    let doc = Documented::load();
    let good = serde_json::json!({
        "schema_version": 1,
        "error": {"code": "usage", "message": "m", "resource": null, "hint": null, "aws_code": null}
    });
    assert!(doc.problems("Errors", &good).is_empty());
    let mut bad = good.clone();
    bad["error"]["extra"] = "x".into();
    bad["error"]["message"] = 5.into();
    bad["error"].as_object_mut().unwrap().remove("hint");
    let problems = doc.problems("Errors", &bad);
    assert_eq!(problems.len(), 3, "{problems:?}");
    assert!(problems
        .iter()
        .any(|p| p.contains("error.extra: not documented")));
    assert!(problems
        .iter()
        .any(|p| p.contains("error.message: is integer")));
    assert!(problems
        .iter()
        .any(|p| p.contains("error.hint: documented as always present")));
}
