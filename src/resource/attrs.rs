//! Attributes as the plan compares them: name → rendered value. A set member (a route, a rule,
//! a subnet of a function) is an attribute of its own whose value is [`PRESENT`], so adding or
//! removing one is a change of that member only.

use std::collections::BTreeMap;

pub type Attrs = BTreeMap<String, String>;

/// The value of a set member that exists.
pub const PRESENT: &str = "present";

/// Declares a kind's attribute keys as an enum: plain attributes (`Memory = "memory"`) and set
/// members or maps, whose key is a prefix and a part (`Environment = "environment."` is
/// `environment.NAME`). The spec writes its attributes with `key()`, the reader writes the live
/// ones with it, and the updater reads a planned change back with `parse()`: one spelling.
#[macro_export]
macro_rules! attribute_keys {
    (
        $(#[$meta:meta])* $vis:vis enum $name:ident {
            $($(#[$vmeta:meta])* $var:ident = $key:literal),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        $vis enum $name {
            $($(#[$vmeta])* $var,)*
        }

        #[allow(dead_code)] // Not every kind parses its changes back.
        impl $name {
            pub const fn name(self) -> &'static str {
                match self {
                    $($name::$var => $key,)*
                }
            }

            pub fn key(self) -> String {
                self.name().to_string()
            }

            pub fn parse(key: &str) -> Option<$name> {
                match key {
                    $($key => Some($name::$var),)*
                    _ => None,
                }
            }
        }
    };
    (
        $(#[$meta:meta])* $vis:vis enum $name:ident<'a> {
            $($(#[$vmeta:meta])* $var:ident = $key:literal),* $(,)?
            ;
            $($(#[$mmeta:meta])* $mvar:ident = $prefix:literal),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        $vis enum $name<'a> {
            $($(#[$vmeta])* $var,)*
            $($(#[$mmeta])* $mvar(&'a str),)*
        }

        #[allow(dead_code)]
        impl<'a> $name<'a> {
            /// The key of a plain attribute, or a member's prefix.
            pub const fn name(self) -> &'static str {
                match self {
                    $($name::$var => $key,)*
                    $($name::$mvar(_) => $prefix,)*
                }
            }

            pub fn key(self) -> String {
                match self {
                    $($name::$var => $key.to_string(),)*
                    $($name::$mvar(part) => format!("{}{part}", $prefix),)*
                }
            }

            pub fn parse(key: &'a str) -> Option<$name<'a>> {
                match key {
                    $($key => return Some($name::$var),)*
                    _ => {}
                }
                $(if let Some(part) = key.strip_prefix($prefix) {
                    return Some($name::$mvar(part));
                })*
                None
            }
        }
    };
}
