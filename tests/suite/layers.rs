//! The import rules that keep the layers apart, checked on the checkout's sources: the shared
//! vocabulary (`src/resource/`) imports nothing of the crate, and the desired and live states
//! import neither the build code, nor the AWS modules, nor each other's consumers.

use crate::harness::checkout;

/// Every `crate::<module>` a file under `dir` names.
fn imports(dir: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let root = checkout().join(dir);
    for entry in std::fs::read_dir(&root).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for (i, _) in text.match_indices("crate::") {
            let module: String = text[i + 7..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            out.push((path.display().to_string(), module));
        }
    }
    out
}

fn assert_only(dir: &str, allowed: &[&str]) {
    let wrong: Vec<_> = imports(dir)
        .into_iter()
        .filter(|(_, m)| !allowed.contains(&m.as_str()))
        .collect();
    assert!(
        wrong.is_empty(),
        "{dir} may use only {allowed:?}: {wrong:?}"
    );
}

#[test]
fn the_vocabulary_imports_nothing_and_desired_and_live_import_only_the_model_and_it() {
    // `attribute_keys` is the vocabulary's own macro, exported at the crate root.
    assert_only("src/resource", &["attribute_keys"]);
    assert_only("src/desired", &["model", "resource", "attribute_keys"]);
    assert_only("src/live", &["model", "resource"]);
}
