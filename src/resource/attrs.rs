//! Attributes as the plan compares them: name → rendered value. A set member (a route, a rule,
//! a subnet of a function) is an attribute of its own whose value is [`PRESENT`], so adding or
//! removing one is a change of that member only.

use std::collections::BTreeMap;

pub type Attrs = BTreeMap<String, String>;

/// The value of a set member that exists.
pub const PRESENT: &str = "present";
