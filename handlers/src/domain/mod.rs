//! The betting domain: bet types, amounts, money and time.

pub mod bet;
pub mod money;
pub mod time;
