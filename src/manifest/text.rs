//! Text fields of the manifest. serde_yaml hands any scalar to a `String` field, so `stack: true`
//! became the stack `"true"` and `account_id: 012345678901` lost nothing only by luck. These
//! deserializers take text only: an unquoted `true`, `12` or `~` where a name is wanted is an
//! error at its place, telling the user to quote it.

use std::fmt;

use serde::de::{self, Deserializer, SeqAccess, Visitor};

struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("text (write it in quotes if it looks like a number or true/false)")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_string())
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<String, E> {
        Ok(v)
    }
}

/// One text value: `deserialize_any` lets YAML say what the scalar is, and only a string passes.
pub fn text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    d.deserialize_any(TextVisitor).map(Some)
}

struct ListVisitor;

impl<'de> Visitor<'de> for ListVisitor {
    type Value = Vec<String>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of text values")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<String>, A::Error> {
        let mut out = Vec::new();
        while let Some(item) = seq.next_element::<Item>()? {
            out.push(item.0);
        }
        Ok(out)
    }
}

struct Item(String);

impl<'de> de::Deserialize<'de> for Item {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Item, D::Error> {
        d.deserialize_any(TextVisitor).map(Item)
    }
}

/// A list of text values.
pub fn text_list<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
    d.deserialize_seq(ListVisitor).map(Some)
}

struct OneOrMoreVisitor;

impl<'de> Visitor<'de> for OneOrMoreVisitor {
    type Value = Vec<String>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("text or a list of text values")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Vec<String>, E> {
        Ok(vec![v.to_string()])
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Vec<String>, A::Error> {
        ListVisitor.visit_seq(seq)
    }
}

/// One text value or a list of them (`email: a@example.com` or `email: [a@…, b@…]`).
pub fn text_or_list<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
    d.deserialize_any(OneOrMoreVisitor).map(Some)
}

struct DigitsVisitor;

impl<'de> Visitor<'de> for DigitsVisitor {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("digits")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_string())
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
        Ok(v.to_string())
    }
}

/// Digits written as text or as a number (`account_id: 123456789012`). A number loses nothing:
/// YAML reads one with a leading zero as text, which `visit_str` keeps as written.
pub fn digits<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    d.deserialize_any(DigitsVisitor).map(Some)
}

#[cfg(test)]
mod tests {
    use crate::manifest::parse;

    #[test]
    fn an_account_id_with_a_leading_zero_keeps_it_written_plain_or_quoted() {
        for text in [
            "stack: t\naccount_id: 012345678901\n",
            "stack: t\naccount_id: \"012345678901\"\n",
        ] {
            let stack = parse(std::path::Path::new("t.yaml"), text).unwrap();
            assert_eq!(stack.account_id.as_deref(), Some("012345678901"), "{text}");
        }
    }
}
