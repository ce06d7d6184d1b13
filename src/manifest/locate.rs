//! Finds where a key path stands in the YAML text, so that a value that parsed but is invalid can
//! be reported with its line and column. serde_yaml reports positions only for its own parse
//! errors, so the text is walked once more with yaml-rust2's event parser, which carries marks.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

use super::error::Location;

/// Key path (`a.b.0.c`) → where its value starts.
#[derive(Debug, Default)]
pub struct Locator {
    places: HashMap<String, Location>,
}

impl Locator {
    pub fn new(text: &str) -> Locator {
        let mut walker = Walker::default();
        let mut parser = Parser::new_from_str(text);
        // A syntax error has already been reported by serde_yaml; keep what was located so far.
        let _ = parser.load(&mut walker, false);
        Locator {
            places: walker.places,
        }
    }

    /// The place of `key`'s value; for a key that is not in the file, the place of its nearest
    /// ancestor's key (where the missing key would go). `a.b#key` asks for the key itself.
    pub fn find(&self, key: &str) -> Option<Location> {
        if let Some(loc) = self.places.get(key) {
            return Some(*loc);
        }
        let mut key = key.trim_end_matches("#key");
        loop {
            key = key.rsplit_once('.')?.0;
            if let Some(loc) = self
                .places
                .get(&format!("{key}#key"))
                .or_else(|| self.places.get(key))
            {
                return Some(*loc);
            }
        }
    }
}

enum Frame {
    /// In a mapping; `pending_key` is the key whose value comes next, if a key was just read.
    Map {
        pending_key: Option<String>,
    },
    Seq {
        index: usize,
    },
}

#[derive(Default)]
struct Walker {
    stack: Vec<(Frame, String)>,
    places: HashMap<String, Location>,
}

impl Walker {
    /// Called for a node in value position; returns the path of that node, or None when the node
    /// is a mapping key.
    fn value_path(&mut self) -> Option<String> {
        let Some((frame, path)) = self.stack.last_mut() else {
            return Some(String::new());
        };
        let join = |base: &str, part: &str| {
            if base.is_empty() {
                part.to_string()
            } else {
                format!("{base}.{part}")
            }
        };
        match frame {
            Frame::Map { pending_key } => pending_key.take().map(|k| join(path, &k)),
            Frame::Seq { index } => {
                let p = join(path, &index.to_string());
                *index += 1;
                Some(p)
            }
        }
    }
}

impl MarkedEventReceiver for Walker {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        let loc = Location {
            line: mark.line(),
            column: mark.col() + 1,
        };
        match ev {
            Event::Scalar(value, ..) => match self.value_path() {
                Some(path) => {
                    self.places.insert(path, loc);
                }
                None => {
                    // A key: its value follows. Point unknown-key errors at the key itself.
                    if let Some((Frame::Map { pending_key }, base)) = self.stack.last_mut() {
                        let path = if base.is_empty() {
                            value.clone()
                        } else {
                            format!("{base}.{value}")
                        };
                        self.places.entry(format!("{path}#key")).or_insert(loc);
                        *pending_key = Some(value);
                    }
                }
            },
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                let path = self.value_path().unwrap_or_default();
                self.places.insert(path.clone(), loc);
                let frame = if matches!(ev, Event::MappingStart(..)) {
                    Frame::Map { pending_key: None }
                } else {
                    Frame::Seq { index: 0 }
                };
                self.stack.push((frame, path));
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_nested_values_and_list_items() {
        let text = "stack: a\nfunctions:\n  overrides:\n    get-races:\n      memory: 99\napi:\n  cors:\n    allow_headers: [X, Y]\n";
        let l = Locator::new(text);
        assert_eq!(l.find("stack"), Some(Location { line: 1, column: 8 }));
        assert_eq!(
            l.find("functions.overrides.get-races.memory"),
            Some(Location {
                line: 5,
                column: 15
            })
        );
        assert_eq!(
            l.find("api.cors.allow_headers.1"),
            Some(Location {
                line: 8,
                column: 24
            })
        );
        // Absent keys point at the nearest present ancestor's key.
        assert_eq!(
            l.find("api.cors.allow_origin"),
            Some(Location { line: 7, column: 3 })
        );
    }
}
