//! The nine API functions of docs/design.md: one Lambda function per route, each with only the table
//! access its route needs. This table is the single source for names, routes and permissions.

/// Which of the two tables a function may touch, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Access {
    None,
    Read,
    ReadWrite,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FunctionDef {
    /// Suffix of the function name: `<stack>-<suffix>`.
    pub suffix: &'static str,
    pub method: &'static str,
    /// API Gateway resource path, with `{param}` segments.
    pub path: &'static str,
    pub cart: Access,
    pub session: Access,
}

const fn def(
    suffix: &'static str,
    method: &'static str,
    path: &'static str,
    cart: Access,
    session: Access,
) -> FunctionDef {
    FunctionDef {
        suffix,
        method,
        path,
        cart,
        session,
    }
}

use Access::{None as No, Read, ReadWrite as Rw};

pub const FUNCTIONS: [FunctionDef; 9] = [
    def("get-races", "GET", "/races", No, No),
    def("get-race-detail", "GET", "/races/{race_id}", No, No),
    def("add-to-cart", "POST", "/cart/items", Rw, No),
    def("get-cart", "GET", "/cart/{cart_id}", Read, No),
    def(
        "remove-from-cart",
        "DELETE",
        "/cart/{cart_id}/items/{item_id}",
        Rw,
        No,
    ),
    def("clear-cart", "DELETE", "/cart/{cart_id}", Rw, No),
    def("start-consultation", "POST", "/consultations", Read, Rw),
    def(
        "send-message",
        "POST",
        "/consultations/{session_id}/messages",
        No,
        Rw,
    ),
    def(
        "get-consultation",
        "GET",
        "/consultations/{session_id}",
        No,
        Read,
    ),
];

pub fn function_suffixes() -> impl Iterator<Item = &'static str> {
    FUNCTIONS.iter().map(|f| f.suffix)
}

/// Every resource path of the API, parents before children, including the intermediate ones
/// (`/cart`, `/cart/{cart_id}/items`) that carry no route of their own but still answer CORS
/// preflights.
pub fn api_paths() -> Vec<String> {
    let mut paths = std::collections::BTreeSet::new();
    for f in &FUNCTIONS {
        let mut prefix = String::new();
        for segment in f.path.trim_start_matches('/').split('/') {
            prefix.push('/');
            prefix.push_str(segment);
            paths.insert(prefix.clone());
        }
    }
    let mut paths: Vec<String> = paths.into_iter().collect();
    paths.sort_by_key(|p| (p.matches('/').count(), p.clone()));
    paths
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_intermediate_path_is_listed_after_its_parent() {
        let paths = api_paths();
        assert_eq!(paths.len(), 10);
        for (i, p) in paths.iter().enumerate() {
            if let Some((parent, _)) = p.rsplit_once('/') {
                if !parent.is_empty() {
                    let pos = paths
                        .iter()
                        .position(|q| q == parent)
                        .expect("parent listed");
                    assert!(pos < i, "{parent} after {p}");
                }
            }
        }
    }
}
