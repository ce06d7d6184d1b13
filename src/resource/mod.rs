//! The shared vocabulary every layer speaks: resource kinds and ids, attribute maps, references
//! to AWS-assigned ids, canonical JSON and hashing. It imports nothing else of the crate, so the
//! desired state, the live reader, the build code and the plan all depend on it and not on
//! each other.

pub mod attrs;
pub mod hash;
pub mod json;
pub mod kind;
pub mod refs;

pub use attrs::{Attrs, PRESENT};
pub use kind::{Kind, ResourceId};
